/* Differential sweep: sj_format_double against CPython's repr of a float.
 *
 *   sweep N [SEED]     the edge classes, then N random 64-bit patterns (inf/nan skipped)
 *   sweep --bench      ns per call, sj_format_double vs PyOS_double_to_string
 *
 * The oracle is PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL), what
 * float.__repr__ calls. Edge values are checked with both signs. Prints one line per
 * class, the first mismatches in full, and a last line "TOTAL checked=... mismatches=...";
 * exits 1 on any mismatch. Build and run: sh streamjson/_native/tests/run_sweep.sh. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shortest.h"

static unsigned long long checked, mismatches;
static uint64_t rng_state;

/* splitmix64 */
static uint64_t
next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double
from_bits(uint64_t bits)
{
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static uint64_t
to_bits(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}

static void
check_one(double x)
{
    char buf[SJ_FORMAT_DOUBLE_MAX + 8];
    memset(buf, '#', sizeof buf);
    int n = sj_format_double(x, buf);
    char *want = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (want == NULL) {
        fprintf(stderr, "PyOS_double_to_string failed\n");
        exit(2);
    }
    size_t wn = strlen(want);
    checked++;
    if (n < 0 || n > SJ_FORMAT_DOUBLE_MAX || (size_t)n != wn || memcmp(buf, want, wn) != 0 ||
        buf[n] != '#') {
        if (++mismatches <= 20) {
            printf("MISMATCH bits=0x%016llx want=%s got=%.*s\n",
                   (unsigned long long)to_bits(x), want,
                   n >= 0 && n <= SJ_FORMAT_DOUBLE_MAX ? n : 0, buf);
        }
    }
    PyMem_Free(want);
}

/* x and -x, skipping inf and nan */
static void
check(double x)
{
    if (isfinite(x)) {
        check_one(x);
        check_one(-x);
    }
}

/* x and its neighbours up to `steps` ulps either side */
static void
check_around(double x, int steps)
{
    check(x);
    double up = x, down = x;
    for (int i = 0; i < steps; i++) {
        up = nextafter(up, INFINITY);
        down = nextafter(down, -INFINITY);
        check(up);
        check(down);
    }
}

static void
report(const char *name, unsigned long long before_checked, unsigned long long before_bad)
{
    printf("%-44s checked=%llu mismatches=%llu\n", name, checked - before_checked,
           mismatches - before_bad);
    fflush(stdout);
}

#define CLASS(name, ...)                                          \
    do {                                                           \
        unsigned long long c0_ = checked, m0_ = mismatches;        \
        __VA_ARGS__;                                               \
        report(name, c0_, m0_);                                    \
    } while (0)

static void
edge_classes(uint64_t scale)
{
    char text[64];
    CLASS("zeros, extremes", {
        check(0.0);
        check_around(DBL_MAX, 1000);
        check_around(DBL_MIN, 1000);
        check_around(from_bits(1), 1000); /* 5e-324, the smallest subnormal */
        check_around(nextafter(DBL_MIN, 0.0), 1000); /* the largest subnormal */
    });
    CLASS("powers of ten 1e-325..1e309, +-64 ulps", {
        for (int p = -325; p <= 309; p++) {
            snprintf(text, sizeof text, "1e%d", p);
            check_around(strtod(text, NULL), 64);
        }
    });
    CLASS("the 1e16 and 1e-4 switches, +-20000 ulps", {
        check_around(1e16, 20000);
        check_around(1e-4, 20000);
        check_around(1e17, 1000);
        check_around(1e-5, 1000);
    });
    CLASS("powers of two 2^-1074..2^1023, +-64 ulps", {
        for (int p = -1074; p <= 1023; p++) {
            check_around(ldexp(1.0, p), 64);
        }
    });
    CLASS("integers around 2^53, 2^54, 2^63, 2^64", {
        for (int p = 53; p <= 64; p++) {
            check_around(ldexp(1.0, p), 5000);
        }
    });
    CLASS("integers 0..2^17 and random up to 2^64", {
        for (int i = 0; i <= (1 << 17); i++) {
            check((double)i);
        }
        for (uint64_t i = 0; i < scale; i++) {
            uint64_t r = next_random();
            check((double)(r >> (r & 63)));
        }
    });
    CLASS("subnormals: the smallest, random", {
        for (uint64_t i = 1; i <= 100000; i++) {
            check(from_bits(i));
        }
        for (uint64_t i = 0; i < scale; i++) {
            check(from_bits(next_random() & ((1ULL << 52) - 1)));
        }
    });
    /* the decimal m * 10**j is exactly the midpoint between two doubles c * 2**(j+1) and
       (c+1) * 2**(j+1) when m * 5**j = 2c + 1 is odd and in [2**53, 2**54): a short
       decimal on the rounding interval's end, in or out by c's parity */
    CLASS("short decimals on interval ends", {
        uint64_t p5 = 1;
        for (int j = 0; j <= 23; j++, p5 *= 5) {
            uint64_t lo = ((1ULL << 53) + p5 - 1) / p5, hi = ((1ULL << 54) - 1) / p5;
            for (uint64_t i = 0; i < 4000; i++) {
                uint64_t m = i < 2000 ? lo + i : hi - (i - 2000);
                if (m < lo || m > hi || (m & 1) == 0) {
                    continue;
                }
                uint64_t c = (m * p5 - 1) / 2;
                check_around(ldexp((double)c, j + 1), 1);
            }
        }
    });
    /* x = c / 4 with c odd and c * 2**-2 in [2**50, 2**51): x * 10 ends in .5, a tie
       between two shortest candidates, broken to the even digit */
    CLASS("ties between two shortest (c odd, q = -2)", {
        for (uint64_t i = 0; i < scale; i++) {
            uint64_t c = (1ULL << 52) | (next_random() & ((1ULL << 52) - 1)) | 1;
            check(ldexp((double)c, -2));
        }
    });
    CLASS("every binary exponent, random significands", {
        for (uint64_t e = 0; e < 2047; e++) {
            for (uint64_t i = 0; i < scale / 1000 + 16; i++) {
                check(from_bits(e << 52 | (next_random() & ((1ULL << 52) - 1))));
            }
            check(from_bits(e << 52));
            check(from_bits(e << 52 | ((1ULL << 52) - 1)));
        }
    });
    CLASS("short decimals: i / 10**j, i * 10**j", {
        for (int j = 0; j <= 22; j++) {
            double p10 = 1.0;
            for (int t = 0; t < j; t++) {
                p10 *= 10.0;
            }
            for (int i = 1; i <= 5000; i++) {
                check(i / p10);
                check(i * p10);
            }
        }
    });
    CLASS("typical: prices, random()", {
        for (uint64_t i = 0; i < scale; i++) {
            check((double)(next_random() % 100000000) / 100.0);
            check((double)(next_random() >> 11) * 0x1.0p-53);
        }
    });
}

static void
random_patterns(uint64_t n)
{
    CLASS("random 64-bit patterns", {
        uint64_t done = 0;
        while (done < n) {
            double x = from_bits(next_random());
            if (isfinite(x)) {
                check_one(x);
                done++;
            }
        }
    });
}

/* ---- micro-benchmark ---- */

static double
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: steadier on a shared machine */
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
bench_one(const char *name, const double *xs, size_t n)
{
    char buf[SJ_FORMAT_DOUBLE_MAX];
    volatile size_t sink = 0;
    double best_sj = INFINITY, best_py = INFINITY;
    for (int round = 0; round < 9; round++) {
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            sink += (size_t)sj_format_double(xs[i], buf);
        }
        double t1 = now_ns();
        for (size_t i = 0; i < n; i++) {
            char *s = PyOS_double_to_string(xs[i], 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
            sink += (size_t)s[0];
            PyMem_Free(s);
        }
        double t2 = now_ns();
        best_sj = fmin(best_sj, (t1 - t0) / n);
        best_py = fmin(best_py, (t2 - t1) / n);
    }
    printf("%-28s sj_format_double %6.1f ns  PyOS_double_to_string %6.1f ns  (%.1fx)\n", name,
           best_sj, best_py, best_py / best_sj);
    (void)sink;
}

static void
bench(void)
{
    size_t n = 1000000;
    double *xs = malloc(n * sizeof *xs);
    if (xs == NULL) {
        exit(2);
    }
    for (size_t i = 0; i < n;) {
        double x = from_bits(next_random());
        if (isfinite(x)) {
            xs[i++] = x;
        }
    }
    bench_one("random 64-bit patterns", xs, n);
    for (size_t i = 0; i < n; i++) {
        xs[i] = (double)(next_random() >> 11) * 0x1.0p-53;
    }
    bench_one("random.random() values", xs, n);
    for (size_t i = 0; i < n; i++) {
        xs[i] = (double)(next_random() % 1000000) / 100.0;
    }
    bench_one("prices, 2 decimals", xs, n);
    for (size_t i = 0; i < n; i++) {
        xs[i] = (double)(next_random() % 100000);
    }
    bench_one("integers below 1e5", xs, n);
    free(xs);
}

int
main(int argc, char **argv)
{
    Py_Initialize();
    if (argc >= 2 && strcmp(argv[1], "--bench") == 0) {
        rng_state = 42;
        bench();
        Py_Finalize();
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [SEED] | %s --bench\n", argv[0], argv[0]);
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10);
    rng_state = argc >= 3 ? strtoull(argv[2], NULL, 10) : (uint64_t)time(NULL);
    printf("seed=%llu random=%llu\n", (unsigned long long)rng_state, (unsigned long long)n);
    edge_classes(100000);
    random_patterns(n);
    printf("TOTAL checked=%llu mismatches=%llu\n", checked, mismatches);
    Py_Finalize();
    return mismatches ? 1 : 0;
}
