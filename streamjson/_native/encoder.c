/* streamjson._native: json's C encoder (Modules/_json.c's make_encoder), faster.
 *
 * make_encoder(markers, default, encoder, indent, key_separator, item_separator,
 * sort_keys, skipkeys, allow_nan) takes the arguments of _json.make_encoder and
 * its result, called as enc(o, level), gives the same text and raises the same
 * errors as the running Python's _json, read for read: dicts read whole when the
 * encoder starts on them (3.10, 3.11) or as it goes (3.12 on), lists by index as
 * they stand, subclasses of str/int/float by their value, other objects through
 * `default`, the same recursion checks and the same markers dict. Two things
 * differ, both additions: `indent` (a str) is written natively on every version
 * (as 3.13's _json does, at any level), and the text is built in one growing
 * buffer (1, 2 or 4 bytes a character: as wide as the widest so far) with strings
 * escaped here when `encoder` is json's own encode_basestring(_ascii).
 * The result is a one-element list (3.10, 3.11) or tuple (3.12 on), as _json's.
 *
 * make_encoder's optional eleventh argument, `strict`, (exception class, depth,
 * length), makes it write only what json's Python encoder (json.dumps's with indent
 * before 3.13) would write alike, running no Python code: exact lists, tuples, dicts
 * and floats, str and int subclasses (by their value), None and the bools, dict keys
 * of those exact scalar types only, and what `extended` has written here. Anything
 * else, a non-empty container more than `depth` levels below the value a call is
 * given, or text past `length` characters, raises the class instead (`default` is
 * never called): the caller writes that part itself. Without it, the twelfth,
 * `limit`, (exception class, length), raises the class once the text passes `length`
 * characters, unless `default` has been called in that call: the caller then walks
 * the part, in memory bounded by `length` rather than by the part's size. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <math.h>
#include <string.h>

#define DICT_READ_LIVE (PY_VERSION_HEX >= 0x030C0000)
#define NAN_MESSAGE_HAS_REPR (PY_VERSION_HEX >= 0x030C0000)
#define RESULT_IS_TUPLE (PY_VERSION_HEX >= 0x030C0000)

#include "shortest.h"

/* Room format_double needs: the text itself is at most SJ_FORMAT_DOUBLE_MAX bytes. */
#define FORMAT_DOUBLE_BUF 32

/* float.__repr__'s text of a finite x written to buf (FORMAT_DOUBLE_BUF bytes, no
 * NUL): its length. The one place floats are formatted: shortest.c's Schubfach, proven
 * equal to repr (see streamjson/_native/tests/run_sweep.sh and tests/test_shortest.py). */
static Py_ssize_t
format_double(double x, char *buf)
{
    return (Py_ssize_t)sj_format_double(x, buf);
}

/* ---- the output buffer: as wide as the widest character written (1, 2, 4 bytes) ---- */

typedef struct Buf {
    void *data;
    int kind; /* PyUnicode_1BYTE_KIND, _2BYTE_ or _4BYTE_: the widest character so far */
    Py_ssize_t len, cap; /* in characters (in bytes when utf8) */
    /* UTF-8 bytes instead of a str: the buffer stays 1 byte wide, a non-ASCII character
     * is written as its UTF-8 bytes (a lone surrogate is a UnicodeEncodeError). */
    int utf8;
    /* The containers (and values for default) being written, outermost first, when
     * checking for circles with an empty markers dict (see markers_enter). */
    PyObject **open;
    Py_ssize_t n_open, cap_open;
    int use_markers_dict;
    /* The encoder's calls under way (see Encoder.active): the thread of this one, and
     * the one begun before it, in any thread. */
    PyThreadState *tstate;
    struct Buf *next_active;
    /* With `strict`: the level past which a non-empty container is refused. */
    Py_ssize_t strict_level;
    /* `default` has been called in this call: `limit` no longer applies. */
    int defaulted;
} Buf;

static int
buf_init(Buf *b)
{
    b->open = NULL;
    b->n_open = b->cap_open = 0;
    b->use_markers_dict = 0;
    b->utf8 = 0;
    b->kind = PyUnicode_1BYTE_KIND;
    b->len = 0;
    b->cap = 1024;
    b->data = PyMem_Malloc((size_t)b->cap);
    if (b->data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Make room for `extra` more characters. */
static int
buf_grow(Buf *b, Py_ssize_t extra)
{
    if (extra > PY_SSIZE_T_MAX / 4 - b->len) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t cap = b->cap;
    while (cap - b->len < extra) {
        cap = cap > PY_SSIZE_T_MAX / 8 ? b->len + extra : cap * 2;
    }
    void *data = PyMem_Realloc(b->data, (size_t)cap * (size_t)b->kind);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

#define RESERVE(b, n) ((b)->cap - (b)->len >= (n) ? 0 : buf_grow((b), (n)))

/* Copy n characters of kind `from` to kind `to` (as wide or wider). */
static void
copy_chars(const void *src, int from, void *dst, int to, Py_ssize_t n)
{
    if (from == to) {
        memcpy(dst, src, (size_t)n * (size_t)to);
    }
    else if (from == PyUnicode_1BYTE_KIND && to == PyUnicode_2BYTE_KIND) {
        for (Py_ssize_t i = 0; i < n; i++) {
            ((Py_UCS2 *)dst)[i] = ((const Py_UCS1 *)src)[i];
        }
    }
    else if (from == PyUnicode_1BYTE_KIND) {
        for (Py_ssize_t i = 0; i < n; i++) {
            ((Py_UCS4 *)dst)[i] = ((const Py_UCS1 *)src)[i];
        }
    }
    else {
        for (Py_ssize_t i = 0; i < n; i++) {
            ((Py_UCS4 *)dst)[i] = ((const Py_UCS2 *)src)[i];
        }
    }
}

/* To a wider kind, for a character the buffer's cannot hold. */
static int
buf_widen(Buf *b, int kind)
{
    if (b->cap > PY_SSIZE_T_MAX / 4) {
        PyErr_NoMemory();
        return -1;
    }
    void *wide = PyMem_Malloc((size_t)b->cap * (size_t)kind);
    if (wide == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    copy_chars(b->data, b->kind, wide, kind, b->len);
    PyMem_Free(b->data);
    b->data = wide;
    b->kind = kind;
    return 0;
}

static int
put_ascii(Buf *b, const char *s, Py_ssize_t n)
{
    if (RESERVE(b, n) < 0) {
        return -1;
    }
    copy_chars(s, PyUnicode_1BYTE_KIND, (char *)b->data + b->len * b->kind, b->kind, n);
    b->len += n;
    return 0;
}

static int
put_char(Buf *b, char c)
{
    return put_ascii(b, &c, 1);
}

/* A str with non-ASCII characters as UTF-8 bytes (a lone surrogate raises what
 * s.encode("utf-8") raises). Only for what is seldom non-ASCII: separators, indent,
 * the text of an encoder that is not json's; strings go through put_escaped. */
static int
put_utf8_str(Buf *b, PyObject *s)
{
    PyObject *bytes = PyUnicode_AsUTF8String(s);
    if (bytes == NULL) {
        return -1;
    }
    int rv = put_ascii(b, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return rv;
}

/* A str's characters as they are. */
static int
put_str(Buf *b, PyObject *s)
{
    if (b->utf8 && !PyUnicode_IS_ASCII(s)) {
        return put_utf8_str(b, s);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int sk = PyUnicode_KIND(s);
    if (sk > b->kind && buf_widen(b, sk) < 0) {
        return -1;
    }
    if (RESERVE(b, n) < 0) {
        return -1;
    }
    copy_chars(PyUnicode_DATA(s), sk, (char *)b->data + b->len * b->kind, b->kind, n);
    b->len += n;
    return 0;
}

/* The text, as the smallest str that holds it (bytes when utf8); the buffer is freed
 * either way. The
 * buffer is first cut to its text, so that it and the str are never more than twice
 * the text (with up to half the buffer spare, a long string would cost three times). */
static PyObject *
buf_finish(Buf *b)
{
    if (b->cap - b->len > 4096) {
        void *fit = PyMem_Realloc(b->data, (size_t)(b->len + 1) * (size_t)b->kind);
        if (fit != NULL) { /* else the text is copied from the buffer as it is */
            b->data = fit;
            b->cap = b->len + 1;
        }
    }
    PyObject *s = b->utf8 ? PyBytes_FromStringAndSize((const char *)b->data, b->len)
                          : PyUnicode_FromKindAndData(b->kind, b->data, b->len);
    PyMem_Free(b->data);
    b->data = NULL;
    return s;
}

/* ---- strings, as json.encoder's c_encode_basestring(_ascii) write them ---- */

/* Non-zero for the characters up to U+00FF each mode escapes: controls, '"' and '\\',
 * and with ensure_ascii every character above '~' (all those above U+00FF too). */
static unsigned char escapes_ascii[256];
static unsigned char escapes_unicode[256];

static const char hexdigits[] = "0123456789abcdef";

/* The escape of c (one json escapes) into t: its length (at most 12). */
static int
escape_char(Py_UCS4 c, char *t)
{
    t[0] = '\\';
    switch (c) {
    case '\\': t[1] = '\\'; return 2;
    case '"': t[1] = '"'; return 2;
    case '\b': t[1] = 'b'; return 2;
    case '\f': t[1] = 'f'; return 2;
    case '\n': t[1] = 'n'; return 2;
    case '\r': t[1] = 'r'; return 2;
    case '\t': t[1] = 't'; return 2;
    }
    int n = 0;
    if (c >= 0x10000) {
        Py_UCS4 hi = Py_UNICODE_HIGH_SURROGATE(c);
        t[1] = 'u';
        t[2] = hexdigits[(hi >> 12) & 0xf];
        t[3] = hexdigits[(hi >> 8) & 0xf];
        t[4] = hexdigits[(hi >> 4) & 0xf];
        t[5] = hexdigits[hi & 0xf];
        t[6] = '\\';
        c = Py_UNICODE_LOW_SURROGATE(c);
        n = 6;
    }
    t[n + 1] = 'u';
    t[n + 2] = hexdigits[(c >> 12) & 0xf];
    t[n + 3] = hexdigits[(c >> 8) & 0xf];
    t[n + 4] = hexdigits[(c >> 4) & 0xf];
    t[n + 5] = hexdigits[c & 0xf];
    return n + 6;
}

/* Room kept ahead while escaping: every input character left, the closing quote,
 * and one escape of at most 12. */
#define ESCAPE_ROOM(left) ((left) + 13)

#define ESCAPE_LOOP(IN_T, OUT_T)                                                  \
    do {                                                                          \
        const IN_T *src = (const IN_T *)in;                                       \
        OUT_T *out = (OUT_T *)b->data;                                            \
        Py_ssize_t o = b->len;                                                    \
        out[o++] = '"';                                                           \
        for (Py_ssize_t i = 0; i < n; i++) {                                      \
            Py_UCS4 ch = src[i];                                                  \
            if (!(ch < 256 ? table[ch] : ascii)) {                                \
                out[o++] = (OUT_T)ch;                                             \
                continue;                                                         \
            }                                                                     \
            if (b->cap - o < ESCAPE_ROOM(n - i)) {                                \
                b->len = o;                                                       \
                if (buf_grow(b, ESCAPE_ROOM(n - i)) < 0) {                        \
                    return -1;                                                    \
                }                                                                 \
                out = (OUT_T *)b->data;                                           \
            }                                                                     \
            char t[12];                                                           \
            int k = escape_char(ch, t);                                           \
            for (int j = 0; j < k; j++) {                                         \
                out[o++] = (OUT_T)t[j];                                           \
            }                                                                     \
        }                                                                         \
        out[o++] = '"';                                                           \
        b->len = o;                                                               \
    } while (0)

/* Room kept ahead while writing UTF-8: `width` bytes for every input character left
 * (the most one takes, 2 to 4 by the str's kind), the closing quote and one escape. */
#define UTF8_ROOM(left, width) ((left) * (width) + 13)

/* The UnicodeEncodeError s.encode("utf-8") raises for a str holding a lone surrogate: -1. */
static int
surrogate_error(PyObject *s)
{
    PyObject *bytes = PyUnicode_AsUTF8String(s);
    if (bytes != NULL) { /* not reached: the caller saw the surrogate */
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_SystemError, "a lone surrogate encoded to UTF-8");
    }
    return -1;
}

/* ESCAPE_LOOP without ensure_ascii into a UTF-8 buffer, for a str that is not ASCII:
 * a character json leaves as it is goes out as its UTF-8 bytes. A lone surrogate
 * raises what s.encode("utf-8") raises. */
#define ESCAPE_UTF8_LOOP(IN_T, WIDTH)                                             \
    do {                                                                          \
        const IN_T *src = (const IN_T *)in;                                       \
        unsigned char *out = (unsigned char *)b->data;                            \
        Py_ssize_t o = b->len;                                                    \
        out[o++] = '"';                                                           \
        for (Py_ssize_t i = 0; i < n; i++) {                                      \
            Py_UCS4 ch = src[i];                                                  \
            if (ch >= 0x80) {                                                     \
                if (ch < 0x800) {                                                 \
                    out[o++] = (unsigned char)(0xc0 | (ch >> 6));                 \
                }                                                                 \
                else if (ch < 0x10000) {                                          \
                    if (Py_UNICODE_IS_SURROGATE(ch)) {                            \
                        b->len = o;                                               \
                        return surrogate_error(s);                                \
                    }                                                             \
                    out[o++] = (unsigned char)(0xe0 | (ch >> 12));                \
                    out[o++] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));        \
                }                                                                 \
                else {                                                            \
                    out[o++] = (unsigned char)(0xf0 | (ch >> 18));                \
                    out[o++] = (unsigned char)(0x80 | ((ch >> 12) & 0x3f));       \
                    out[o++] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));        \
                }                                                                 \
                out[o++] = (unsigned char)(0x80 | (ch & 0x3f));                   \
                continue;                                                         \
            }                                                                     \
            if (!escapes_unicode[ch]) {                                           \
                out[o++] = (unsigned char)ch;                                     \
                continue;                                                         \
            }                                                                     \
            if (b->cap - o < UTF8_ROOM(n - i, WIDTH)) {                           \
                b->len = o;                                                       \
                if (buf_grow(b, UTF8_ROOM(n - i, WIDTH)) < 0) {                   \
                    return -1;                                                    \
                }                                                                 \
                out = (unsigned char *)b->data;                                   \
            }                                                                     \
            char t[12];                                                           \
            int k = escape_char(ch, t);                                           \
            memcpy(out + o, t, (size_t)k);                                        \
            o += k;                                                               \
        }                                                                         \
        out[o++] = '"';                                                           \
        b->len = o;                                                               \
    } while (0)

/* put_escaped without ensure_ascii, for a str that is not ASCII, into a UTF-8 buffer. */
static int
put_escaped_utf8(Buf *b, PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int ik = PyUnicode_KIND(s);
    const void *in = PyUnicode_DATA(s);
    int width = ik == PyUnicode_1BYTE_KIND ? 2 : ik == PyUnicode_2BYTE_KIND ? 3 : 4;
    if (n > (PY_SSIZE_T_MAX - 16) / 4) {
        PyErr_SetString(PyExc_OverflowError, "string is too long to escape");
        return -1;
    }
    if (RESERVE(b, UTF8_ROOM(n, width) + 1) < 0) {
        return -1;
    }
    switch (ik) {
    case PyUnicode_1BYTE_KIND: ESCAPE_UTF8_LOOP(Py_UCS1, 2); break;
    case PyUnicode_2BYTE_KIND: ESCAPE_UTF8_LOOP(Py_UCS2, 3); break;
    default: ESCAPE_UTF8_LOOP(Py_UCS4, 4); break;
    }
    return 0;
}

/* A str as json.dumps writes it, quotes included; `ascii` for ensure_ascii. */
static int
put_escaped(Buf *b, PyObject *s, int ascii)
{
    if (b->utf8 && !ascii && !PyUnicode_IS_ASCII(s)) {
        return put_escaped_utf8(b, s);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int ik = PyUnicode_KIND(s);
    const void *in = PyUnicode_DATA(s);
    const unsigned char *table = ascii ? escapes_ascii : escapes_unicode;
    if (!ascii && ik > b->kind && buf_widen(b, ik) < 0) {
        return -1;
    }
    if (n > PY_SSIZE_T_MAX - 16) {
        PyErr_SetString(PyExc_OverflowError, "string is too long to escape");
        return -1;
    }
    if (RESERVE(b, ESCAPE_ROOM(n) + 1) < 0) {
        return -1;
    }
    /* the output holds every character written: all ASCII with ensure_ascii, else
     * the buffer is as wide as the string */
    if (b->kind == PyUnicode_1BYTE_KIND) {
        switch (ik) {
        case PyUnicode_1BYTE_KIND: ESCAPE_LOOP(Py_UCS1, Py_UCS1); break;
        case PyUnicode_2BYTE_KIND: ESCAPE_LOOP(Py_UCS2, Py_UCS1); break;
        default: ESCAPE_LOOP(Py_UCS4, Py_UCS1); break;
        }
    }
    else if (b->kind == PyUnicode_2BYTE_KIND) {
        switch (ik) {
        case PyUnicode_1BYTE_KIND: ESCAPE_LOOP(Py_UCS1, Py_UCS2); break;
        case PyUnicode_2BYTE_KIND: ESCAPE_LOOP(Py_UCS2, Py_UCS2); break;
        default: ESCAPE_LOOP(Py_UCS4, Py_UCS2); break;
        }
    }
    else {
        switch (ik) {
        case PyUnicode_1BYTE_KIND: ESCAPE_LOOP(Py_UCS1, Py_UCS4); break;
        case PyUnicode_2BYTE_KIND: ESCAPE_LOOP(Py_UCS2, Py_UCS4); break;
        default: ESCAPE_LOOP(Py_UCS4, Py_UCS4); break;
        }
    }
    return 0;
}

/* ---- the encoder ---- */

typedef enum { CALL_ENCODER, ESCAPE_ASCII, ESCAPE_UNICODE } StrMode;

typedef struct {
    PyObject_HEAD
    PyObject *markers; /* dict or None */
    PyObject *defaultfn;
    PyObject *encoder;
    PyObject *indent; /* str or None */
    PyObject *key_separator;
    PyObject *item_separator;
    int sort_keys;
    int skipkeys;
    int allow_nan;
    StrMode str_mode;
    /* The state of the calls under way, newest first, NULL between calls. More than
     * one: called again from default(), or from other threads at once. */
    Buf *active;
    struct ExtSettings *ext; /* Extended's types written here (see encode_extended), or NULL */
    /* make_encoder's `strict` (see refuse): the class raised, or NULL; how many levels a
     * container may sit below the value a call is given, and how long the text may
     * grow (PY_SSIZE_T_MAX both without it). */
    PyObject *strict;
    Py_ssize_t strict_depth;
    /* How long the text may grow (`strict`'s or `limit`'s length, else PY_SSIZE_T_MAX),
     * and the class raised past it. */
    PyObject *too_long;
    Py_ssize_t max_len;
    /* The item separator, a newline and NEWLINE_LEVELS indents, when all are ASCII (see
     * put_separated), or NULL; the lengths of the separator and of one indent. */
    char *separated;
    Py_ssize_t sep_len, indent_len;
} Encoder;

/* _json's own string encoders, recognised by their C function as _json does. */
static PyCFunction json_escape_ascii;
static PyCFunction json_escape_unicode;

static int encode_obj(Encoder *e, Buf *b, PyObject *o, Py_ssize_t level);

/* The indents Encoder.separated holds after its newline: deeper levels take more runs. */
#define NEWLINE_LEVELS 16

/* From Encoder.separated at `from` (0: the item separator first; sep_len: the newline
 * first), the newline and `level` indents. */
static int
put_separated(Encoder *e, Buf *b, Py_ssize_t from, Py_ssize_t level)
{
    const char *text = e->separated + from;
    Py_ssize_t head = e->sep_len + 1 - from; /* what comes before the first indent */
    do {
        Py_ssize_t run = level < NEWLINE_LEVELS ? level : NEWLINE_LEVELS;
        if (put_ascii(b, text, head + run * e->indent_len) < 0) {
            return -1;
        }
        level -= run;
        text = e->separated + e->sep_len + 1;
        head = 0;
    } while (level > 0);
    return 0;
}

/* A newline and `level` indents, when indenting. */
static int
put_newline(Encoder *e, Buf *b, Py_ssize_t level)
{
    if (e->indent == Py_None) {
        return 0;
    }
    if (e->separated != NULL) {
        return put_separated(e, b, e->sep_len, level);
    }
    if (put_char(b, '\n') < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < level; i++) {
        if (put_str(b, e->indent) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
put_item_separator(Encoder *e, Buf *b, Py_ssize_t level)
{
    if (e->separated != NULL) {
        return put_separated(e, b, 0, level);
    }
    if (put_str(b, e->item_separator) < 0) {
        return -1;
    }
    return put_newline(e, b, level);
}

/* Encoder.separated, when indenting with an ASCII indent and item separator (and
 * neither long): 0, or -1 on error. */
static int
separated_init(Encoder *e)
{
    e->separated = NULL;
    if (e->indent == Py_None || !PyUnicode_IS_ASCII(e->indent) ||
        !PyUnicode_IS_ASCII(e->item_separator)) {
        return 0;
    }
    Py_ssize_t sep = PyUnicode_GET_LENGTH(e->item_separator);
    Py_ssize_t n = PyUnicode_GET_LENGTH(e->indent);
    if (sep > 256 || n > 256) {
        return 0; /* written as they are, a piece at a time */
    }
    e->separated = PyMem_Malloc((size_t)(sep + 1 + n * NEWLINE_LEVELS));
    if (e->separated == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(e->separated, PyUnicode_1BYTE_DATA(e->item_separator), (size_t)sep);
    e->separated[sep] = '\n';
    for (Py_ssize_t i = 0; i < NEWLINE_LEVELS; i++) {
        memcpy(e->separated + sep + 1 + i * n, PyUnicode_1BYTE_DATA(e->indent), (size_t)n);
    }
    e->sep_len = sep;
    e->indent_len = n;
    return 0;
}

/* Give up the call: with `strict`, for what json's Python encoder might read otherwise
 * than this one writes it, or what is too deep or too long (see make_encoder). */
static int
refuse(Encoder *e)
{
    PyErr_SetNone(e->strict);
    return -1;
}

/* With `strict`, a key json's Python encoder reads as this one does: an exact str, int,
 * float, bool or None (0), else -1 (refused). */
static int
strict_key(Encoder *e, PyObject *key)
{
    if (e->strict == NULL || PyUnicode_CheckExact(key) || PyLong_CheckExact(key) ||
        PyFloat_CheckExact(key) || key == Py_True || key == Py_False || key == Py_None) {
        return 0;
    }
    return refuse(e);
}

/* A str through `encoder` (json's own: escaped here). */
static int
put_string(Encoder *e, Buf *b, PyObject *s)
{
    if (e->str_mode != CALL_ENCODER) {
        return put_escaped(b, s, e->str_mode == ESCAPE_ASCII);
    }
    PyObject *encoded = PyObject_CallOneArg(e->encoder, s);
    if (encoded == NULL) {
        return -1;
    }
    if (!PyUnicode_Check(encoded)) {
        PyErr_Format(PyExc_TypeError, "encoder() must return a string, not %.80s",
                     Py_TYPE(encoded)->tp_name);
        Py_DECREF(encoded);
        return -1;
    }
    int rv = put_str(b, encoded);
    Py_DECREF(encoded);
    return rv;
}

/* The text of a float (any subclass, by its C double) into buf: its length, or -1. */
static Py_ssize_t
float_text(Encoder *e, PyObject *o, char *buf)
{
    double x = PyFloat_AS_DOUBLE(o);
    if (Py_IS_FINITE(x)) {
        return format_double(x, buf);
    }
    if (!e->allow_nan) {
#if NAN_MESSAGE_HAS_REPR
        PyErr_Format(PyExc_ValueError,
                     "Out of range float values are not JSON compliant: %R", o);
#else
        PyErr_SetString(PyExc_ValueError, "Out of range float values are not JSON compliant");
#endif
        return -1;
    }
    const char *text = x > 0 ? "Infinity" : x < 0 ? "-Infinity" : "NaN";
    size_t n = strlen(text);
    memcpy(buf, text, n);
    return (Py_ssize_t)n;
}

/* The decimal text of an int (any subclass, by its value) that fits a long long into
 * buf (24 bytes): its length; 0 when it does not fit (int.__repr__ writes it); -1. */
static Py_ssize_t
small_int_text(PyObject *o, char *buf)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        return 0;
    }
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *--p = '-';
    }
    Py_ssize_t n = tmp + sizeof(tmp) - p;
    memcpy(buf, p, (size_t)n);
    return n;
}

static int
put_int(Buf *b, PyObject *o)
{
    char buf[24];
    Py_ssize_t n = small_int_text(o, buf);
    if (n < 0) {
        return -1;
    }
    if (n > 0) {
        return put_ascii(b, buf, n);
    }
    PyObject *text = PyLong_Type.tp_repr(o);
    if (text == NULL) {
        return -1;
    }
    int rv = put_str(b, text);
    Py_DECREF(text);
    return rv;
}

/* Circles. json keeps the objects being written in the markers dict (id -> object),
 * an entry added when it starts on one and removed when it is done, and leaves the
 * entries of those it was in when an error stops it. Here they are kept on a stack
 * (b->open: the depth is bounded by the recursion limit, so a scan is cheap) and put
 * in the dict only on error (markers_left_behind), which leaves it as json's would
 * be. A dict that is not empty when the call starts is used as json uses it. */
static int
markers_enter(Encoder *e, Buf *b, PyObject *o)
{
    if (e->markers == Py_None) {
        return 0;
    }
    if (b->use_markers_dict) {
        PyObject *id = PyLong_FromVoidPtr(o);
        if (id == NULL) {
            return -1;
        }
        int has = PyDict_Contains(e->markers, id);
        if (has) {
            if (has > 0) {
                PyErr_SetString(PyExc_ValueError, "Circular reference detected");
            }
            Py_DECREF(id);
            return -1;
        }
        int rv = PyDict_SetItem(e->markers, id, o);
        Py_DECREF(id);
        return rv;
    }
    for (Py_ssize_t i = 0; i < b->n_open; i++) {
        if (b->open[i] == o) {
            PyErr_SetString(PyExc_ValueError, "Circular reference detected");
            return -1;
        }
    }
    if (b->n_open == b->cap_open) {
        Py_ssize_t cap = b->cap_open ? b->cap_open * 2 : 64;
        PyObject **open = PyMem_Realloc(b->open, (size_t)cap * sizeof(PyObject *));
        if (open == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->open = open;
        b->cap_open = cap;
    }
    b->open[b->n_open++] = Py_NewRef(o); /* as the dict's value would hold it */
    return 0;
}

/* Done with o, the last one entered. */
static int
markers_leave(Encoder *e, Buf *b, PyObject *o)
{
    if (e->markers == Py_None) {
        return 0;
    }
    if (!b->use_markers_dict) {
        Py_DECREF(b->open[--b->n_open]);
        return 0;
    }
    PyObject *id = PyLong_FromVoidPtr(o);
    if (id == NULL) {
        return -1;
    }
    int rv = PyDict_DelItem(e->markers, id);
    Py_DECREF(id);
    return rv;
}

/* The open entries into the dict: after an error, those json's markers dict would
 * still hold (the exception is kept; failing to add one loses only it). Empties the
 * stack. */
static void
markers_left_behind(Encoder *e, Buf *b)
{
    if (b->n_open == 0) {
        return;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
#else
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
#endif
    for (Py_ssize_t i = 0; i < b->n_open; i++) {
        PyObject *id = PyLong_FromVoidPtr(b->open[i]);
        if (id == NULL || PyDict_SetItem(e->markers, id, b->open[i]) < 0) {
            PyErr_Clear();
        }
        Py_XDECREF(id);
        Py_DECREF(b->open[i]);
    }
    b->n_open = 0;
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(exc_type, exc_value, exc_tb);
#endif
}

/* A list or tuple: an exact one by index as it stands at each step (default() may
 * change a list), a subclass as the list its __iter__ gives (PySequence_Fast). */
static int
encode_list(Encoder *e, Buf *b, PyObject *seq, Py_ssize_t level)
{
    PyObject *items = PySequence_Fast(seq, "_iterencode_list needs a sequence");
    if (items == NULL) {
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(items) == 0) {
        Py_DECREF(items);
        return put_ascii(b, "[]", 2);
    }
    if (level > b->strict_level) {
        Py_DECREF(items);
        return refuse(e);
    }
    if (markers_enter(e, b, seq) < 0) {
        Py_DECREF(items);
        return -1;
    }
    if (put_char(b, '[') < 0 || put_newline(e, b, level + 1) < 0) {
        goto bail;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items); i++) {
        if (i && put_item_separator(e, b, level + 1) < 0) {
            goto bail;
        }
        PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(items, i));
        int rv = encode_obj(e, b, item, level + 1);
        Py_DECREF(item);
        if (rv < 0) {
            goto bail;
        }
    }
    Py_DECREF(items);
    if (markers_leave(e, b, seq) < 0) {
        return -1;
    }
    if (put_newline(e, b, level) < 0) {
        return -1;
    }
    return put_char(b, ']');
bail:
    Py_DECREF(items);
    return -1;
}

/* One key and value of a dict at `level`; *first until one is written. */
static int
encode_pair(Encoder *e, Buf *b, PyObject *key, PyObject *value, int *first, Py_ssize_t level)
{
    char buf[FORMAT_DOUBLE_BUF];
    Py_ssize_t n = 0;
    PyObject *keystr = NULL; /* a new reference, when the key is written from a str */
    if (strict_key(e, key) < 0) {
        return -1;
    }
    if (PyUnicode_Check(key)) {
        keystr = Py_NewRef(key);
    }
    else if (PyFloat_Check(key)) {
        n = float_text(e, key, buf);
    }
    else if (key == Py_True || key == Py_False || key == Py_None) {
        /* before PyLong_Check: True and False are ints */
        const char *text = key == Py_True ? "true" : key == Py_False ? "false" : "null";
        n = (Py_ssize_t)strlen(text);
        memcpy(buf, text, (size_t)n);
    }
    else if (PyLong_Check(key)) {
        n = small_int_text(key, buf);
        if (n == 0) {
            keystr = PyLong_Type.tp_repr(key);
            if (keystr == NULL) {
                return -1;
            }
        }
    }
    else if (e->skipkeys) {
        return 0;
    }
    else {
        PyErr_Format(PyExc_TypeError, "keys must be str, int, float, bool or None, not %.100s",
                     Py_TYPE(key)->tp_name);
        return -1;
    }
    if (n < 0) {
        return -1;
    }
    if (keystr == NULL && e->str_mode == CALL_ENCODER) {
        keystr = PyUnicode_FromStringAndSize(buf, n);
        if (keystr == NULL) {
            return -1;
        }
    }
    int rv;
    if (*first) {
        *first = 0;
        rv = 0;
    }
    else {
        rv = put_item_separator(e, b, level + 1);
    }
    if (rv == 0) {
        if (keystr != NULL) {
            rv = put_string(e, b, keystr);
        }
        else if ((rv = put_char(b, '"')) == 0 && (rv = put_ascii(b, buf, n)) == 0) {
            rv = put_char(b, '"'); /* a number's or a constant's text needs no escapes */
        }
    }
    Py_XDECREF(keystr);
    if (rv < 0 || put_str(b, e->key_separator) < 0) {
        return -1;
    }
    return encode_obj(e, b, value, level + 1);
}

/* The items of a dict as json reads them with sort_keys or for a subclass: the
 * list of `items()`, sorted with sort_keys, each a 2-tuple. */
static int
encode_items(Encoder *e, Buf *b, PyObject *dct, int *first, Py_ssize_t level)
{
    PyObject *items = PyMapping_Items(dct);
    if (items == NULL) {
        return -1;
    }
    /* with `strict`, every key checked before the sort compares them (an exact dict's
     * items are 2-tuples) */
    for (Py_ssize_t i = 0; e->strict != NULL && i < PyList_GET_SIZE(items); i++) {
        if (strict_key(e, PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 0)) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    if (e->sort_keys && PyList_Sort(items) < 0) {
        Py_DECREF(items);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        /* held while written: the list may be one items() keeps, and the encoder or
         * default, called while the pair is written, may empty it */
        PyObject *item = Py_NewRef(PyList_GET_ITEM(items, i));
        int rv;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_ValueError, "items must return 2-tuples");
            rv = -1;
        }
        else {
            rv = encode_pair(e, b, PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1), first,
                             level);
        }
        Py_DECREF(item);
        if (rv < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

#if DICT_READ_LIVE
/* An exact dict without sort_keys, read as json reads it from 3.12 on: as it stands
 * at each step (default() may change it). */
static int
encode_dict_items(Encoder *e, Buf *b, PyObject *dct, int *first, Py_ssize_t level)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dct, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        int rv = encode_pair(e, b, key, value, first, level);
        Py_DECREF(key);
        Py_DECREF(value);
        if (rv < 0) {
            return -1;
        }
    }
    return 0;
}
#else
/* An exact dict without sort_keys, read as json reads it on 3.10 and 3.11: every
 * item at once when it starts on the dict (PyDict_Items, without its tuples). */
static int
encode_dict_items(Encoder *e, Buf *b, PyObject *dct, int *first, Py_ssize_t level)
{
    PyObject *local[32];
    Py_ssize_t size = PyDict_GET_SIZE(dct);
    PyObject **pairs = local;
    if (size > 16) {
        pairs = PyMem_Malloc((size_t)size * 2 * sizeof(PyObject *));
        if (pairs == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_ssize_t pos = 0, n = 0;
    PyObject *key, *value;
    while (n < size && PyDict_Next(dct, &pos, &key, &value)) {
        pairs[2 * n] = Py_NewRef(key);
        pairs[2 * n + 1] = Py_NewRef(value);
        n++;
    }
    int rv = 0;
    for (Py_ssize_t i = 0; i < n && rv == 0; i++) {
        rv = encode_pair(e, b, pairs[2 * i], pairs[2 * i + 1], first, level);
    }
    for (Py_ssize_t i = 0; i < 2 * n; i++) {
        Py_DECREF(pairs[i]);
    }
    if (pairs != local) {
        PyMem_Free(pairs);
    }
    return rv;
}
#endif

static int
encode_dict(Encoder *e, Buf *b, PyObject *dct, Py_ssize_t level)
{
    if (PyDict_GET_SIZE(dct) == 0) {
        return put_ascii(b, "{}", 2);
    }
    if (level > b->strict_level) {
        return refuse(e);
    }
    if (markers_enter(e, b, dct) < 0) {
        return -1;
    }
    int first = 1;
    if (put_char(b, '{') < 0 || put_newline(e, b, level + 1) < 0) {
        goto bail;
    }
    int rv = e->sort_keys || !PyDict_CheckExact(dct)
                 ? encode_items(e, b, dct, &first, level)
                 : encode_dict_items(e, b, dct, &first, level);
    if (rv < 0) {
        goto bail;
    }
    if (markers_leave(e, b, dct) < 0) {
        return -1;
    }
    if (put_newline(e, b, level) < 0) {
        return -1;
    }
    return put_char(b, '}');
bail:
    return -1;
}

/* ---- streamjson.Extended's commonest types, written here ----
 *
 * make_encoder's optional tenth argument, `extended`, is given (by _batches) only
 * when `default` is a pure streamjson.Extended: a tuple (datetime_form, decimal_form,
 * Decimal, UUID, Enum, plain_types). Values of these exact types are then written as
 * that Extended's Python writers would have them written, without calling `default`:
 * datetime (forms "iso" and "iso-z"), date and time (isoformat) when naive or with a
 * tzinfo of the exact type datetime.timezone; Decimal (str(), bare for "number" when
 * finite, quoted for "string"); UUID (its canonical hex); members of a direct Enum
 * subclass whose type Extended has already resolved (it is in plain_types), as their
 * `_value_`. Everything else (subclasses, other tzinfos, the epoch forms, non-finite
 * Decimals as numbers, a UUID whose int is not a 128-bit int) goes to `default`. */

typedef enum { EXT_DT_PYTHON, EXT_DT_ISO, EXT_DT_ISO_Z } ExtDatetime;

struct ExtSettings {
    ExtDatetime datetime_form;
    int decimal_string;
    PyObject *decimal_type;
    PyObject *uuid_type;
    PyObject *enum_type;
    PyObject *plain_types; /* a set */
};

static PyObject *str_int;      /* "int" */
static PyObject *str_value_;   /* "_value_" */
static PyObject *str_utcoffset; /* "utcoffset" */
static PyObject *sixty_four;   /* 64 */

static int
ext_init(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    str_int = PyUnicode_InternFromString("int");
    str_value_ = PyUnicode_InternFromString("_value_");
    str_utcoffset = PyUnicode_InternFromString("utcoffset");
    sixty_four = PyLong_FromLong(64);
    return (str_int && str_value_ && str_utcoffset && sixty_four) ? 0 : -1;
}

/* The settings from make_encoder's `extended` (None or the tuple above) into e->ext
 * (NULL for None): 0, or -1 on error. */
static int
ext_parse(Encoder *e, PyObject *arg)
{
    if (arg == NULL || arg == Py_None) {
        return 0;
    }
    const char *dt_form, *dec_form;
    struct ExtSettings *s = PyMem_Malloc(sizeof(*s));
    if (s == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (!PyArg_ParseTuple(arg, "ssOOOO!:extended", &dt_form, &dec_form, &s->decimal_type,
                          &s->uuid_type, &s->enum_type, &PySet_Type, &s->plain_types)) {
        PyMem_Free(s);
        return -1;
    }
    s->datetime_form = strcmp(dt_form, "iso") == 0     ? EXT_DT_ISO
                       : strcmp(dt_form, "iso-z") == 0 ? EXT_DT_ISO_Z
                                                       : EXT_DT_PYTHON;
    s->decimal_string = strcmp(dec_form, "string") == 0;
    Py_INCREF(s->decimal_type);
    Py_INCREF(s->uuid_type);
    Py_INCREF(s->enum_type);
    Py_INCREF(s->plain_types);
    e->ext = s;
    return 0;
}

static int
ext_traverse(Encoder *e, visitproc visit, void *arg)
{
    if (e->ext != NULL) {
        Py_VISIT(e->ext->decimal_type);
        Py_VISIT(e->ext->uuid_type);
        Py_VISIT(e->ext->enum_type);
        Py_VISIT(e->ext->plain_types);
    }
    return 0;
}

static void
ext_clear(Encoder *e)
{
    struct ExtSettings *s = e->ext;
    if (s != NULL) {
        e->ext = NULL;
        Py_DECREF(s->decimal_type);
        Py_DECREF(s->uuid_type);
        Py_DECREF(s->enum_type);
        Py_DECREF(s->plain_types);
        PyMem_Free(s);
    }
}

static void
put_digits(char **p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        (*p)[i] = (char)('0' + v % 10);
        v /= 10;
    }
    *p += width;
}

/* "HH:MM:SS" and ".ffffff" when microseconds are not 0, at *p. */
static void
put_clock(char **p, int hour, int minute, int second, int us)
{
    put_digits(p, hour, 2);
    *(*p)++ = ':';
    put_digits(p, minute, 2);
    *(*p)++ = ':';
    put_digits(p, second, 2);
    if (us) {
        *(*p)++ = '.';
        put_digits(p, us, 6);
    }
}

/* isoformat's offset for a tzinfo (None or an exact datetime.timezone) at *p, "Z" for
 * zero when z: 1 written, 0 when the tzinfo is of another type (Python's to write), -1. */
static int
put_offset(char **p, PyObject *tz, int z)
{
    if (tz == Py_None) {
        return 1;
    }
    if (!Py_IS_TYPE(tz, Py_TYPE(PyDateTime_TimeZone_UTC))) {
        return 0;
    }
    long long us = 0;
    if (tz != PyDateTime_TimeZone_UTC) {
        PyObject *delta = PyObject_CallMethodOneArg(tz, str_utcoffset, Py_None);
        if (delta == NULL) {
            return -1;
        }
        us = ((long long)PyDateTime_DELTA_GET_DAYS(delta) * 86400 +
              PyDateTime_DELTA_GET_SECONDS(delta)) * 1000000LL +
             PyDateTime_DELTA_GET_MICROSECONDS(delta);
        Py_DECREF(delta);
    }
    if (us == 0 && z) {
        *(*p)++ = 'Z';
        return 1;
    }
    *(*p)++ = us < 0 ? '-' : '+';
    if (us < 0) {
        us = -us;
    }
    int micro = (int)(us % 1000000), secs = (int)(us / 1000000);
    put_digits(p, secs / 3600, 2);
    *(*p)++ = ':';
    put_digits(p, secs / 60 % 60, 2);
    if (secs % 60 || micro) {
        *(*p)++ = ':';
        put_digits(p, secs % 60, 2);
        if (micro) {
            *(*p)++ = '.';
            put_digits(p, micro, 6);
        }
    }
    return 1;
}

/* The quoted ASCII text buf[0:n] as a JSON string through `encoder`. */
static int
put_quoted_ascii(Encoder *e, Buf *b, const char *buf, Py_ssize_t n)
{
    if (e->str_mode != CALL_ENCODER) {
        /* what the escaping writes for ASCII text with no '"', '\\' or controls */
        if (put_char(b, '"') < 0 || put_ascii(b, buf, n) < 0) {
            return -1;
        }
        return put_char(b, '"');
    }
    PyObject *s = PyUnicode_FromStringAndSize(buf, n);
    if (s == NULL) {
        return -1;
    }
    int rv = put_string(e, b, s);
    Py_DECREF(s);
    return rv;
}

/* A date, time or datetime of the exact type: 1 written, 0 for `default`, -1. */
static int
ext_temporal(Encoder *e, Buf *b, PyObject *o)
{
    char buf[64], *p = buf;
    int rv = 1;
    if (PyDateTime_CheckExact(o)) {
        if (e->ext->datetime_form == EXT_DT_PYTHON) {
            return 0;
        }
        put_digits(&p, PyDateTime_GET_YEAR(o), 4);
        *p++ = '-';
        put_digits(&p, PyDateTime_GET_MONTH(o), 2);
        *p++ = '-';
        put_digits(&p, PyDateTime_GET_DAY(o), 2);
        *p++ = 'T';
        put_clock(&p, PyDateTime_DATE_GET_HOUR(o), PyDateTime_DATE_GET_MINUTE(o),
                  PyDateTime_DATE_GET_SECOND(o), PyDateTime_DATE_GET_MICROSECOND(o));
        rv = put_offset(&p, PyDateTime_DATE_GET_TZINFO(o), e->ext->datetime_form == EXT_DT_ISO_Z);
    }
    else if (PyDate_CheckExact(o)) {
        put_digits(&p, PyDateTime_GET_YEAR(o), 4);
        *p++ = '-';
        put_digits(&p, PyDateTime_GET_MONTH(o), 2);
        *p++ = '-';
        put_digits(&p, PyDateTime_GET_DAY(o), 2);
    }
    else {
        put_clock(&p, PyDateTime_TIME_GET_HOUR(o), PyDateTime_TIME_GET_MINUTE(o),
                  PyDateTime_TIME_GET_SECOND(o), PyDateTime_TIME_GET_MICROSECOND(o));
        rv = put_offset(&p, PyDateTime_TIME_GET_TZINFO(o), 0);
    }
    return rv <= 0 ? rv : put_quoted_ascii(e, b, buf, p - buf) < 0 ? -1 : 1;
}

/* A Decimal of the exact type: 1 written, 0 for `default` (not finite, as a number), -1. */
static int
ext_decimal(Encoder *e, Buf *b, PyObject *o)
{
    PyObject *text = PyObject_Str(o);
    if (text == NULL) {
        return -1;
    }
    int rv = 1;
    if (e->ext->decimal_string) {
        rv = put_string(e, b, text) < 0 ? -1 : 1;
    }
    else {
        Py_UCS4 c = PyUnicode_READ_CHAR(text, 0);
        if (c == '-') {
            c = PyUnicode_READ_CHAR(text, 1);
        }
        /* finite: its digits; NaN, sNaN and the infinities are json's float rules */
        rv = c < '0' || c > '9' ? 0 : put_str(b, text) < 0 ? -1 : 1;
    }
    Py_DECREF(text);
    return rv;
}

/* A UUID of the exact type, from its 128-bit int: 1 written, 0 for `default`, -1. */
static int
ext_uuid(Encoder *e, Buf *b, PyObject *o)
{
    PyObject *v = PyObject_GetAttr(o, str_int);
    if (v == NULL) {
        return -1;
    }
    if (!PyLong_CheckExact(v)) {
        Py_DECREF(v);
        return 0;
    }
    unsigned long long lo = PyLong_AsUnsignedLongLongMask(v);
    PyObject *high = lo == (unsigned long long)-1 && PyErr_Occurred() ? NULL
                                                                       : PyNumber_Rshift(v, sixty_four);
    Py_DECREF(v);
    if (high == NULL) {
        return -1;
    }
    unsigned long long hi = PyLong_AsUnsignedLongLong(high);
    Py_DECREF(high);
    if (hi == (unsigned long long)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear(); /* negative or past 128 bits: UUID.__str__ says what it makes of it */
        return 0;
    }
    char hex[32], buf[36], *p = buf;
    for (int i = 15; i >= 0; i--) {
        hex[i] = hexdigits[hi & 15];
        hex[i + 16] = hexdigits[lo & 15];
        hi >>= 4;
        lo >>= 4;
    }
    static const int groups[] = {8, 4, 4, 4, 12};
    const char *h = hex;
    for (int g = 0; g < 5; g++) {
        if (g) {
            *p++ = '-';
        }
        memcpy(p, h, (size_t)groups[g]);
        p += groups[g];
        h += groups[g];
    }
    return put_quoted_ascii(e, b, buf, p - buf) < 0 ? -1 : 1;
}

/* A member of a direct Enum subclass Extended has resolved: its _value_, written as
 * `default`'s result is (in the markers as the member). 1 written, 0, -1. */
static int
ext_enum(Encoder *e, Buf *b, PyObject *o, Py_ssize_t level)
{
    int known = PySet_Contains(e->ext->plain_types, (PyObject *)Py_TYPE(o));
    if (known <= 0) {
        return known;
    }
    if (markers_enter(e, b, o) < 0) {
        return -1;
    }
    PyObject *value = PyObject_GetAttr(o, str_value_);
    if (value == NULL) {
        return -1;
    }
    if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
        Py_DECREF(value);
        return -1;
    }
    int rv = encode_obj(e, b, value, level);
    Py_LeaveRecursiveCall();
    Py_DECREF(value);
    if (rv < 0 || markers_leave(e, b, o) < 0) {
        return -1;
    }
    return 1;
}

/* A value json does not write, written here when Extended's writer for it is one of
 * the above: 1 written, 0 for `default`, -1 on error. */
static int
encode_extended(Encoder *e, Buf *b, PyObject *o, Py_ssize_t level)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == PyDateTimeAPI->DateTimeType || t == PyDateTimeAPI->DateType ||
        t == PyDateTimeAPI->TimeType) {
        return ext_temporal(e, b, o);
    }
    if ((PyObject *)t == e->ext->decimal_type) {
        return ext_decimal(e, b, o);
    }
    if ((PyObject *)t == e->ext->uuid_type) {
        return ext_uuid(e, b, o);
    }
    if ((PyObject *)t->tp_base == e->ext->enum_type) {
        return ext_enum(e, b, o, level);
    }
    return 0;
}

/* A value json does not write itself: what `default` returns for it, written instead. */
static int
encode_default(Encoder *e, Buf *b, PyObject *o, Py_ssize_t level)
{
    if (markers_enter(e, b, o) < 0) {
        return -1;
    }
    b->defaulted = 1;
    PyObject *replacement = PyObject_CallOneArg(e->defaultfn, o);
    if (replacement == NULL) {
        return -1;
    }
    if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
        Py_DECREF(replacement);
        return -1;
    }
    int rv = encode_obj(e, b, replacement, level);
    Py_LeaveRecursiveCall();
    Py_DECREF(replacement);
    if (rv < 0) {
        return -1;
    }
    return markers_leave(e, b, o);
}

static int
encode_obj(Encoder *e, Buf *b, PyObject *o, Py_ssize_t level)
{
    if (b->len > e->max_len && !b->defaulted) {
        PyErr_SetNone(e->too_long);
        return -1;
    }
    if (o == Py_None) {
        return put_ascii(b, "null", 4);
    }
    if (o == Py_True) {
        return put_ascii(b, "true", 4);
    }
    if (o == Py_False) {
        return put_ascii(b, "false", 5);
    }
    if (PyUnicode_Check(o)) {
        return put_string(e, b, o);
    }
    if (PyLong_Check(o)) {
        return put_int(b, o);
    }
    /* with `strict`, a subclass of float, list, tuple or dict is refused: json's Python
     * encoder asks it (its ==, bool(), iteration) */
    if (PyFloat_Check(o)) {
        if (e->strict != NULL && !PyFloat_CheckExact(o)) {
            return refuse(e);
        }
        char buf[FORMAT_DOUBLE_BUF];
        Py_ssize_t n = float_text(e, o, buf);
        return n < 0 ? -1 : put_ascii(b, buf, n);
    }
    int rv;
    if (PyList_Check(o) || PyTuple_Check(o)) {
        if (e->strict != NULL && !PyList_CheckExact(o) && !PyTuple_CheckExact(o)) {
            return refuse(e);
        }
        if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
            return -1;
        }
        rv = encode_list(e, b, o, level);
        Py_LeaveRecursiveCall();
        return rv;
    }
    if (PyDict_Check(o)) {
        if (e->strict != NULL && !PyDict_CheckExact(o)) {
            return refuse(e);
        }
        if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
            return -1;
        }
        rv = encode_dict(e, b, o, level);
        Py_LeaveRecursiveCall();
        return rv;
    }
    if (e->ext != NULL && (rv = encode_extended(e, b, o, level)) != 0) {
        return rv < 0 ? -1 : 0;
    }
    if (e->strict != NULL) {
        return refuse(e); /* never `default`: it runs Python code */
    }
    return encode_default(e, b, o, level);
}

static PyObject *
encoder_call(Encoder *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"obj", "_current_indent_level", "utf8", NULL};
    PyObject *obj;
    Py_ssize_t level;
    int utf8 = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "On|p:_iterencode", kwlist, &obj, &level,
                                     &utf8)) {
        return NULL;
    }
    Buf b;
    if (buf_init(&b) < 0) {
        return NULL;
    }
    b.utf8 = utf8;
    b.defaulted = 0;
    /* the call this one is made from: this thread's newest under way */
    PyThreadState *tstate = PyThreadState_Get();
    Buf *outer = self->active;
    while (outer != NULL && outer->tstate != tstate) {
        outer = outer->next_active;
    }
    if (outer != NULL && self->markers != Py_None) {
        /* called again from default() during a call: what that call has open goes in
         * the dict, where json's would be, and both calls use the dict from here */
        markers_left_behind(self, outer);
        outer->use_markers_dict = 1;
    }
    b.use_markers_dict = self->markers != Py_None && PyDict_GET_SIZE(self->markers) > 0;
    b.tstate = tstate;
    b.strict_level = self->strict == NULL || level > PY_SSIZE_T_MAX - self->strict_depth
                         ? PY_SSIZE_T_MAX
                         : level + self->strict_depth;
    b.next_active = self->active;
    self->active = &b;
    int rv = encode_obj(self, &b, obj, level);
    /* unlinked where it is: another thread's call may have begun after this one */
    Buf **link = &self->active;
    while (*link != &b) {
        link = &(*link)->next_active;
    }
    *link = b.next_active;
    if (rv < 0) {
        markers_left_behind(self, &b);
    }
    PyMem_Free(b.open);
    if (rv < 0) {
        PyMem_Free(b.data);
        return NULL;
    }
    PyObject *text = buf_finish(&b);
    if (text == NULL) {
        return NULL;
    }
#if RESULT_IS_TUPLE
    PyObject *result = PyTuple_New(1);
    if (result != NULL) {
        PyTuple_SET_ITEM(result, 0, text);
        return result;
    }
#else
    PyObject *result = PyList_New(1);
    if (result != NULL) {
        PyList_SET_ITEM(result, 0, text);
        return result;
    }
#endif
    Py_DECREF(text);
    return NULL;
}

static PyObject *
encoder_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"markers", "default", "encoder", "indent", "key_separator",
                             "item_separator", "sort_keys", "skipkeys", "allow_nan", "extended",
                             "strict", "limit", NULL};
    PyObject *markers, *defaultfn, *encoder, *indent, *key_separator, *item_separator;
    PyObject *extended = NULL, *strict = NULL, *limit = NULL;
    int sort_keys, skipkeys, allow_nan;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOUUppp|OOO:make_encoder", kwlist, &markers,
                                     &defaultfn, &encoder, &indent, &key_separator,
                                     &item_separator, &sort_keys, &skipkeys, &allow_nan,
                                     &extended, &strict, &limit)) {
        return NULL;
    }
    PyObject *refused = NULL;
    Py_ssize_t strict_depth = PY_SSIZE_T_MAX, max_len = PY_SSIZE_T_MAX;
    if (strict != NULL && strict != Py_None) {
        if (!PyArg_ParseTuple(strict, "Onn:strict", &refused, &strict_depth, &max_len)) {
            return NULL;
        }
        if (!PyExceptionClass_Check(refused) || strict_depth < 0 || max_len < 0) {
            PyErr_SetString(PyExc_TypeError, "make_encoder() argument 11 must be None or "
                                             "(exception class, depth >= 0, length >= 0)");
            return NULL;
        }
    }
    PyObject *too_long = refused;
    if (limit != NULL && limit != Py_None) {
        if (refused != NULL) {
            PyErr_SetString(PyExc_TypeError, "make_encoder() takes strict or limit, not both");
            return NULL;
        }
        if (!PyArg_ParseTuple(limit, "On:limit", &too_long, &max_len)) {
            return NULL;
        }
        if (!PyExceptionClass_Check(too_long) || max_len < 0) {
            PyErr_SetString(PyExc_TypeError, "make_encoder() argument 12 must be None or "
                                             "(exception class, length >= 0)");
            return NULL;
        }
    }
    if (markers != Py_None && !PyDict_Check(markers)) {
        PyErr_Format(PyExc_TypeError, "make_encoder() argument 1 must be dict or None, not %.200s",
                     Py_TYPE(markers)->tp_name);
        return NULL;
    }
    if (indent != Py_None && !PyUnicode_Check(indent)) {
        PyErr_Format(PyExc_TypeError, "make_encoder() argument 4 must be str or None, not %.200s",
                     Py_TYPE(indent)->tp_name);
        return NULL;
    }
    Encoder *s = (Encoder *)type->tp_alloc(type, 0);
    if (s == NULL) {
        return NULL;
    }
    s->markers = Py_NewRef(markers);
    s->defaultfn = Py_NewRef(defaultfn);
    s->encoder = Py_NewRef(encoder);
    s->indent = Py_NewRef(indent);
    s->key_separator = Py_NewRef(key_separator);
    s->item_separator = Py_NewRef(item_separator);
    s->sort_keys = sort_keys;
    s->skipkeys = skipkeys;
    s->allow_nan = allow_nan;
    s->str_mode = CALL_ENCODER;
    s->active = NULL;
    s->ext = NULL;
    s->strict = Py_XNewRef(refused);
    s->strict_depth = strict_depth;
    s->too_long = Py_XNewRef(too_long);
    s->max_len = max_len;
    if (separated_init(s) < 0 || ext_parse(s, extended) < 0) {
        Py_DECREF(s);
        return NULL;
    }
    if (PyCFunction_Check(encoder)) {
        PyCFunction f = PyCFunction_GetFunction(encoder);
        if (f != NULL && f == json_escape_ascii) {
            s->str_mode = ESCAPE_ASCII;
        }
        else if (f != NULL && f == json_escape_unicode) {
            s->str_mode = ESCAPE_UNICODE;
        }
    }
    return (PyObject *)s;
}

static int
encoder_traverse(Encoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->markers);
    Py_VISIT(self->defaultfn);
    Py_VISIT(self->encoder);
    Py_VISIT(self->indent);
    Py_VISIT(self->key_separator);
    Py_VISIT(self->item_separator);
    Py_VISIT(self->strict);
    Py_VISIT(self->too_long);
    return ext_traverse(self, visit, arg);
}

static int
encoder_clear(Encoder *self)
{
    Py_CLEAR(self->markers);
    Py_CLEAR(self->defaultfn);
    Py_CLEAR(self->encoder);
    Py_CLEAR(self->indent);
    Py_CLEAR(self->key_separator);
    Py_CLEAR(self->item_separator);
    Py_CLEAR(self->strict);
    Py_CLEAR(self->too_long);
    ext_clear(self);
    return 0;
}

static void
encoder_dealloc(Encoder *self)
{
    PyObject_GC_UnTrack(self);
    encoder_clear(self);
    PyMem_Free(self->separated);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(encoder_doc,
             "make_encoder(markers, default, encoder, indent, key_separator, item_separator,\n"
             "             sort_keys, skipkeys, allow_nan, extended=None, strict=None,\n"
             "             limit=None)\n--\n\n"
             "json's C encoder (_json.make_encoder): called as enc(o, level), it returns\n"
             "the text of o as a one-element list (3.10, 3.11) or tuple (3.12 on), with\n"
             "indent (a str or None) written on every Python version; enc(o, level, True)\n"
             "gives the text as UTF-8 bytes instead of a str. extended, when\n"
             "`default` is a pure streamjson.Extended: (datetime, decimal, Decimal, UUID,\n"
             "Enum, plain_types), its commonest types written without calling it.\n"
             "strict, (exception class, depth, length): write only what json's Python\n"
             "encoder reads alike, running no Python code; raise the class instead for\n"
             "anything else, for containers nested deeper than depth below the value\n"
             "given and for text longer than length. limit, (exception class, length),\n"
             "without strict: raise the class once the text is longer than length,\n"
             "unless default has been called in that call.");

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "streamjson._native.Encoder",
    .tp_basicsize = sizeof(Encoder),
    .tp_dealloc = (destructor)encoder_dealloc,
    .tp_call = (ternaryfunc)encoder_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = encoder_doc,
    .tp_traverse = (traverseproc)encoder_traverse,
    .tp_clear = (inquiry)encoder_clear,
    .tp_new = encoder_new,
};

/* The C function behind _json.<name>, NULL when there is none. */
static PyCFunction
json_function(PyObject *json, const char *name)
{
    PyObject *f = PyObject_GetAttrString(json, name);
    if (f == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyCFunction fn = PyCFunction_Check(f) ? PyCFunction_GetFunction(f) : NULL;
    Py_DECREF(f);
    return fn;
}

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "streamjson._native",
    .m_doc = "json's C encoder for streamjson: the same text, written faster.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    for (int c = 0; c < 256; c++) {
        int special = c < 0x20 || c == '"' || c == '\\';
        escapes_unicode[c] = (unsigned char)special;
        escapes_ascii[c] = (unsigned char)(special || c > '~');
    }
    PyObject *json = PyImport_ImportModule("_json");
    if (json == NULL) {
        PyErr_Clear();
    }
    else {
        json_escape_ascii = json_function(json, "encode_basestring_ascii");
        json_escape_unicode = json_function(json, "encode_basestring");
        Py_DECREF(json);
    }
    if (ext_init() < 0 || PyType_Ready(&EncoderType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&EncoderType);
    if (PyModule_AddObject(m, "make_encoder", (PyObject *)&EncoderType) < 0) {
        Py_DECREF(&EncoderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
