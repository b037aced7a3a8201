/* sj_format_double: repr() of a finite double, fast (Schubfach shortest digits).
 *
 * Plain C99 with no Python API: the text is byte for byte what CPython gives for
 * repr(x) (PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL) with its
 * 'short' float repr style): the shortest digits that read back to x, the closest
 * to x among those, ties to an even last digit; fixed notation when
 * 1e-4 <= |x| < 1e16, with at least one digit after the point ("1.0", "0.0001",
 * "-0.0"); scientific notation otherwise, one digit before the point and an
 * exponent with a sign and at least two digits ("1e+16", "1.5e-05", "5e-324",
 * "1.7976931348623157e+308").
 *
 * Built with unsigned __int128 where the compiler has it (gcc, clang) and a
 * portable 64x64->128 multiplication otherwise (or when SJ_SHORTEST_NO_INT128 is
 * defined). Needs an arithmetic right shift of negative int64_t (every mainstream
 * compiler; checked at compile time). */
#ifndef SJ_SHORTEST_H
#define SJ_SHORTEST_H

/* The longest text sj_format_double writes: "-1.2345678901234567e-308" is 24. */
#define SJ_FORMAT_DOUBLE_MAX 24

/* Write repr(x) for a finite x (not inf, not nan: the caller handles those) into
 * buf, which must have room for SJ_FORMAT_DOUBLE_MAX bytes; return the length.
 * No NUL is written, and nothing is written past the returned length. */
int sj_format_double(double x, char *buf);

#endif /* SJ_SHORTEST_H */
