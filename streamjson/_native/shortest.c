/* repr() of a finite double: Schubfach shortest digits, CPython's layout.
 *
 * The digits follow Raffaello Giulietti's Schubfach ("The Schubfach way to render
 * doubles", 2020): x = c * 2**q has the rounding interval R = [c - 1/2, c + 1/2] * 2**q
 * (the lower half-gap is 1/4 when c is a power of two above the subnormals),
 * closed when c is even (round-half-even reads the ends back to x). Scaled by 10**-k,
 * R is at least 1 and under 10 units wide, so it holds at most one multiple of 10:
 * if it does, that one is the unique shortest decimal; otherwise the shortest have
 * the length of s = floor(x * 10**-k) and the answer is s or s + 1, whichever is in
 * R, the closer if both are, s on a tie when s is even. This is the decimal Gay's
 * dtoa mode 0 gives repr(). x and R's ends are scaled in quarter units, with a
 * 126-bit upper approximation g of 10**-k and the products rounded to odd, which the
 * paper proves exact enough for every comparison below. The layout follows CPython's
 * format_float_short for format code 'r' (Python/pystrtod.c). */
#include "shortest.h"

#include <string.h>

#include "shortest_tables.h"

/* the fixed-point logarithms below shift negative numbers right */
typedef char sj_need_arithmetic_shift[((-1LL >> 1) == -1LL) ? 1 : -1];

#define SJ_C_MIN (1ULL << 52) /* the smallest normal significand */
#define SJ_Q_MIN (-1074)      /* the subnormals' binary exponent */
#define SJ_MASK63 ((1ULL << 63) - 1)

#define SJ_FIXED(x, name) \
    ((int)(((long long)(x) * SJ_##name##_MUL + SJ_##name##_ADD) >> SJ_##name##_SHIFT))

#if defined(__SIZEOF_INT128__) && !defined(SJ_SHORTEST_NO_INT128)
__extension__ typedef unsigned __int128 sj_u128;

/* floor(g * cp / 2**127) with its lowest bit set when bits of weight 2**64 .. 2**126
   of the product are not all zero (round to odd), where g = g[0] * 2**64 + g[1]. */
static inline uint64_t
sj_rop(const uint64_t g[2], uint64_t cp)
{
    sj_u128 x = (sj_u128)g[1] * cp;
    sj_u128 z = (sj_u128)g[0] * cp + (uint64_t)(x >> 64);
    uint64_t z1 = (uint64_t)(z >> 64), z0 = (uint64_t)z;
    return (z1 << 1 | z0 >> 63) | (((z0 & SJ_MASK63) + SJ_MASK63) >> 63);
}
#else
/* a * b = *hi * 2**64 + return value */
static inline uint64_t
sj_mul64(uint64_t a, uint64_t b, uint64_t *hi)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return (mid << 32) | (uint32_t)p00;
}

static inline uint64_t
sj_rop(const uint64_t g[2], uint64_t cp)
{
    uint64_t x1, z1;
    (void)sj_mul64(g[1], cp, &x1);
    uint64_t z0 = sj_mul64(g[0], cp, &z1);
    z0 += x1;
    z1 += z0 < x1;
    return (z1 << 1 | z0 >> 63) | (((z0 & SJ_MASK63) + SJ_MASK63) >> 63);
}
#endif

/* Set *f and *e to the shortest decimal f * 10**e that reads back to c * 2**q. */
static inline void
sj_to_decimal(uint64_t c, int q, uint64_t *f, int *e)
{
    /* an integer below 2**53 is its own shortest decimal: every other decimal as short
       is at least 1 away, and the rounding interval is at most 1/2 either side */
    if (q <= 0 && q >= -52 && (c & ((1ULL << -q) - 1)) == 0) {
        *f = c >> -q;
        *e = 0;
        return;
    }
    uint64_t out = c & 1; /* an odd c excludes the interval's ends */
    uint64_t cb = c << 2, cbr = cb + 2, cbl;
    int k;
    if (c != SJ_C_MIN || q == SJ_Q_MIN) {
        cbl = cb - 2;
        k = SJ_FIXED(q, LOG10_2);
    }
    else {
        cbl = cb - 1;
        k = SJ_FIXED(q, LOG10_3Q_2);
    }
    int h = q + SJ_FIXED(-k, LOG2_10) + 2;
    const uint64_t *g = SJ_G[k - SJ_K_MIN];
    uint64_t vb = sj_rop(g, cb << h);
    uint64_t vbl = sj_rop(g, cbl << h) + out; /* the smallest admissible 4 * scaled */
    uint64_t vbr = sj_rop(g, cbr << h) - out; /* the largest */
    uint64_t s = vb >> 2;
    if (s >= 10) {
        /* one digit fewer: the multiple of 10 in R, if there is one */
        uint64_t sp = s / 10;
        uint64_t upin = vbl <= sp * 40;
        uint64_t wpin = sp * 40 + 40 <= vbr;
        if (upin != wpin) {
            *f = sp + wpin;
            *e = k + 1;
            return;
        }
    }
    uint64_t uin = vbl <= s << 2;
    uint64_t win = (s << 2) + 4 <= vbr;
    if (uin != win) {
        *f = s + win;
    }
    else {
        /* both in R: the closer to 4 * scaled x, s on a tie when s is even */
        uint64_t mid = (s << 2) + 2;
        *f = s + (vb > mid || (vb == mid && (s & 1)));
    }
    *e = k;
}

/* Write the 2 decimal digits of v < 100 at p. */
static inline void
sj_write2(char *p, uint32_t v)
{
    memcpy(p, SJ_DIGITS2 + 2 * v, 2);
}

/* Write the decimal digits of f > 0 (at most 17) without its trailing zeros, ending just
   before end; return where they start, and add the number of zeros dropped to *e. */
static inline const char *
sj_write_digits(uint64_t f, char *end, int *e)
{
    char *p = end;
    while (f >= 100000000) {
        uint32_t lo = (uint32_t)(f % 100000000), hi4 = lo / 10000, lo4 = lo % 10000;
        f /= 100000000;
        if (lo == 0 && p == end) {
            *e += 8;
            continue;
        }
        p -= 8;
        sj_write2(p, hi4 / 100);
        sj_write2(p + 2, hi4 % 100);
        sj_write2(p + 4, lo4 / 100);
        sj_write2(p + 6, lo4 % 100);
    }
    uint32_t v = (uint32_t)f;
    while (v >= 100) {
        p -= 2;
        sj_write2(p, v % 100);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        sj_write2(p, v);
    }
    else {
        *--p = (char)('0' + v);
    }
    return p;
}

int
sj_format_double(double x, char *buf)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    char *p = buf;
    if (bits >> 63) {
        *p++ = '-';
    }
    uint64_t frac = bits & (SJ_C_MIN - 1);
    int bexp = (int)(bits >> 52) & 0x7ff;
    if (bexp == 0 && frac == 0) {
        memcpy(p, "0.0", 3);
        return (int)(p - buf) + 3;
    }
    uint64_t f;
    int e;
    if (bexp == 0) {
        sj_to_decimal(frac, SJ_Q_MIN, &f, &e);
    }
    else {
        sj_to_decimal(frac | SJ_C_MIN, bexp - 1075, &f, &e);
    }
    char digits[20];
    const char *d = sj_write_digits(f, digits + sizeof digits, &e);
    int n = (int)(digits + sizeof digits - d);
    int decpt = n + e; /* x = 0.d1d2...dn * 10**decpt */
    while (d[n - 1] == '0') {
        n--; /* the first digit is not 0 */
    }

    if (decpt <= -4 || decpt > 16) {
        *p++ = d[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)(n - 1));
            p += n - 1;
        }
        int exp = decpt - 1;
        *p++ = 'e';
        *p++ = exp < 0 ? '-' : '+';
        if (exp < 0) {
            exp = -exp;
        }
        if (exp >= 100) {
            *p++ = (char)('0' + exp / 100);
            exp %= 100;
        }
        memcpy(p, SJ_DIGITS2 + 2 * exp, 2);
        p += 2;
    }
    else if (decpt <= 0) {
        memcpy(p, "0.000", (size_t)(2 - decpt));
        p += 2 - decpt;
        memcpy(p, d, (size_t)n);
        p += n;
    }
    else if (decpt >= n) {
        memcpy(p, d, (size_t)n);
        p += n;
        memset(p, '0', (size_t)(decpt - n));
        p += decpt - n;
        memcpy(p, ".0", 2);
        p += 2;
    }
    else {
        memcpy(p, d, (size_t)decpt);
        p += decpt;
        *p++ = '.';
        memcpy(p, d + decpt, (size_t)(n - decpt));
        p += n - decpt;
    }
    return (int)(p - buf);
}
