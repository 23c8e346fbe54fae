// Vectorised logit kernels (see CKernels.h). Their body (LogitBody.h) is written once on eight-lane
// vectors of doubles and compiled three times: for AVX-512 and for AVX2 (both with FMA), and for the
// baseline instruction set, which on x86-64 splits each vector into SSE2 pairs and multiplies and
// adds separately (a software fma there would cost more than the pass). Every path evaluates the
// same operations in the same order, lane by lane, so the AVX-512 and AVX2 paths give identical
// bits, and the x86-64 baseline path differs from them only in the roundings that fusing saves.
#include "CKernels.h"

#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)
// The per-instruction-set helpers take eight-lane vectors by value, whose calling convention
// differs between instruction sets; they are always inlined into their own path, so no call
// crosses one.
#pragma clang diagnostic ignored "-Wpsabi"

typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));

// Helpers are macros, not functions: a function taking eight-lane vectors by value would have a
// different calling convention on each instruction set.
#define splat(v) ((v8d){(v), (v), (v), (v), (v), (v), (v), (v)})
/// a where mask, else b (masks are comparison results: all bits set or clear).
#define blend(mask, a, b) ((v8d)((((v8l)(a)) & (mask)) | (((v8l)(b)) & ~(mask))))
/// The lanes' sum in a fixed order, so every path rounds alike.
#define sumOfLanes(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))
/// Σ log of the lanes, each ≤ 2²⁵⁶ (so a pair's product is finite), one log per pair.
#define logOfLanes(v) \
  ((log((v)[0] * (v)[1]) + log((v)[2] * (v)[3])) + (log((v)[4] * (v)[5]) + log((v)[6] * (v)[7])))
/// log(Π lanes of product · 2^Σexponents) = Σexponents · ln 2 + Σ log of the lanes (ln 2 in two
/// parts, the hi part's product with an exponent sum below 2²⁰ exact).
#define logOfProduct(exponents, product) \
  ((double)sumOfLanes(exponents) * LN2_HI + (double)sumOfLanes(exponents) * LN2_LO + logOfLanes(product))

/// 2^{j/16}, j = 0 … 15, each the double nearest (for the exponential's table step).
static const double exp2Table[16] = {
  0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
  0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
  0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
  0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
/// ln 2 in two parts (the hi part has 33 significant bits), and the double nearest ln2/16.
#define LN2_HI (0x1.62e42fee00000p-1)
#define LN2_LO (0x1.a39ef35793c76p-33)
#define LN2_16 (0x1.62e42fefa39efp-5)
/// fdlibm's e_log.c: log(1 + s)/(1 − s)) = 2s + s·R(s²) with R(z) = Lg1 z + … + Lg7 z⁷ (its Remez
/// coefficients, error below 2⁻⁵⁸·⁴⁵ for |s| ≤ 0.1716).
#define LOG_LG1 (6.666666666666735130e-01)
#define LOG_LG2 (3.999999999940941908e-01)
#define LOG_LG3 (2.857142874366239149e-01)
#define LOG_LG4 (2.222219843214978396e-01)
#define LOG_LG5 (1.818357216161805012e-01)
#define LOG_LG6 (1.531383769920937332e-01)
#define LOG_LG7 (1.479819860511658591e-01)
/// c₂ … c₆ of the degree-4 minimax polynomial for (e^r − 1 − r)/r² on [−ln2/32, ln2/32], weighted
/// by r² (Remez exchange in 40-digit arithmetic, coefficients rounded to double; computed and
/// checked against these by scripts/reference/expm1_minimax.py): the error of e^r = 1 + r + r²P(r)
/// is below 1.2·10⁻¹⁷ there.
#define EXPM1_C2 (0x1.0000000000005p-1)
#define EXPM1_C3 (0x1.555555548f86cp-3)
#define EXPM1_C4 (0x1.555555545eb5bp-5)
#define EXPM1_C5 (0x1.11123aafc4c87p-7)
#define EXPM1_C6 (0x1.6c185de4d81abp-10)

/// The lanes' exp2Table[j] for j ∈ [0, 16): one two-register permute on AVX-512, plain loads elsewhere.
#define TABLE_LOADS(j) \
  ((v8d){exp2Table[(j)[0]], exp2Table[(j)[1]], exp2Table[(j)[2]], exp2Table[(j)[3]], exp2Table[(j)[4]], \
    exp2Table[(j)[5]], exp2Table[(j)[6]], exp2Table[(j)[7]]})

#if defined(__x86_64__)
#define MULADD(a, b, c) __builtin_elementwise_fma(a, b, c)
#define TABLE(j) ((v8d)_mm512_permutex2var_pd(_mm512_loadu_pd(exp2Table), (__m512i)(j), _mm512_loadu_pd(exp2Table + 8)))
#define PATH avx512
#define PATH_TARGET __attribute__((target("avx512f,avx512dq,fma")))
#include "LogitBody.h"
#undef PATH
#undef PATH_TARGET
#undef TABLE
#define TABLE(j) TABLE_LOADS(j)
#define PATH avx2
#define PATH_TARGET __attribute__((target("avx2,fma")))
#include "LogitBody.h"
#undef PATH
#undef PATH_TARGET
#undef MULADD
#define MULADD(a, b, c) ((a) * (b) + (c))
#elif defined(__aarch64__)
#define MULADD(a, b, c) __builtin_elementwise_fma(a, b, c)
#define TABLE(j) TABLE_LOADS(j)
#else
#define MULADD(a, b, c) ((a) * (b) + (c))
#define TABLE(j) TABLE_LOADS(j)
#endif
#define PATH generic
#define PATH_TARGET
#include "LogitBody.h"

/// The widest path this machine runs: 2 AVX-512, 1 AVX2 with FMA, 0 the baseline.
static int widestPath(void) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

int simstudy_kernels_widest_path(void) { return widestPath(); }

const char *simstudy_kernels_path_name(int path) {
  static const char *names[] = {"generic", "avx2", "avx512"};
  return names[path < 0 ? 0 : path > 2 ? 2 : path];
}

/// The function `name` of the path min(path, widest) (the macro keeps the five dispatchers below
/// one line each; on other architectures there is only the generic path).
#if defined(__x86_64__)
static int effectivePath(int path) { return path < widestPath() ? path : widestPath(); }
#define ON_PATH(path, name) \
  (effectivePath(path) == 2 ? avx512##name : effectivePath(path) == 1 ? avx2##name : generic##name)
#else
#define ON_PATH(path, name) (generic##name)
#endif

void simstudy_logit_group_pass_on(
  int path, const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *probability, double *sums) {
  ON_PATH(path, _group_pass)(x, groupStart, groups, offset, slope, probability, sums);
}

void simstudy_logit_group_pass(
  const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *probability, double *sums) {
  simstudy_logit_group_pass_on(widestPath(), x, groupStart, groups, offset, slope, probability, sums);
}

int simstudy_logit_newton_pass_on(
  int path, const double *x, long n, long columns, const double *y, const double *beta, double *eta,
  double *score, double *information, simstudy_logit_totals *totals) {
  return ON_PATH(path, _newton_pass)(x, n, columns, y, beta, eta, score, information, totals);
}

int simstudy_logit_newton_pass(
  const double *x, long n, long columns, const double *y, const double *beta, double *eta, double *score,
  double *information, simstudy_logit_totals *totals) {
  return simstudy_logit_newton_pass_on(widestPath(), x, n, columns, y, beta, eta, score, information, totals);
}

void simstudy_logit_group_pointwise_on(
  int path, const double *y, const double *x, const long *groupStart, long groups, const double *offset,
  double slope, double *out) {
  ON_PATH(path, _group_pointwise)(y, x, groupStart, groups, offset, slope, out);
}

void simstudy_logit_group_pointwise(
  const double *y, const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *out) {
  simstudy_logit_group_pointwise_on(widestPath(), y, x, groupStart, groups, offset, slope, out);
}

double simstudy_sum_log1p_on(int path, const double *x, long n, double scale) {
  return ON_PATH(path, _sum_log1p)(x, n, scale);
}

double simstudy_sum_log1p(const double *x, long n, double scale) {
  return simstudy_sum_log1p_on(widestPath(), x, n, scale);
}

double simstudy_sum_exp_on(int path, const double *x, long n, double shift) {
  return ON_PATH(path, _sum_exp)(x, n, shift);
}

double simstudy_sum_exp(const double *x, long n, double shift) {
  return simstudy_sum_exp_on(widestPath(), x, n, shift);
}
