// The logit kernels' bodies, included once per instruction set by Logit.c with PATH (the prefix of
// this path's functions), PATH_TARGET (its target attribute, possibly empty), MULADD(a, b, c) =
// a·b + c (fused where the target has FMA) and TABLE(j) (the lanes' exp2Table[j]) defined.
#define NAMED(suffix) NAMED_(PATH, suffix)
#define NAMED_(name, suffix) NAMED__(name, suffix)
#define NAMED__(name, suffix) name##suffix

/// e^x for x ≤ 0: x = (16k + j) ln2/16 + r with |r| ≤ ln2/32 (16k + j rounded by adding 1.5·2⁵²,
/// r = x − (16k + j)·L in one fused step with L the double nearest ln2/16), e^x = 2^k · 2^{j/16} · e^r
/// with 2^{j/16} from the table (TABLE(j)) and e^r − 1 = r + r²P(r), P the degree-4 minimax
/// polynomial for (e^r − 1 − r)/r² on [−ln2/32, ln2/32] (error of e^r below 1.2·10⁻¹⁷, Estrin's
/// scheme), added to the table value in one fused step, and 2^k written into the exponent bits.
/// L's error (2.9·10⁻¹⁸) moves r by up to |16k + j|·2.9·10⁻¹⁸, so the relative error grows with |x|
/// (about 1 ulp + 6.7·10⁻¹⁷·|x|; measured over 2²⁴ arguments: at most 1.2 ulp on [−1, 0] and 1.7 on
/// [−3, 0]), while the absolute error stays below 1.3·10⁻¹⁶ for every x ≤ 0, a fraction of an ulp
/// of the 1 + e^x that the logit terms use. (Two-part reduction would cost one more fused
/// multiply-add, on the pipes this loop is bound by.) Below −708 it returns e^{−708} ≈ 3.3·10⁻³⁰⁸,
/// which leaves 1 + e^x = 1 exactly as 0 would (and saves a blend); NaN stays NaN.
PATH_TARGET static inline __attribute__((always_inline)) v8d NAMED(_exp)(v8d x) {
  const v8d magic = splat(6755399441055744.0);
  v8d c = blend(x < splat(-708.0), splat(-708.0), x);
  v8d shifted = MULADD(c, splat(16 / 0.69314718055994530942), magic);
  v8d n = shifted - magic;
  v8d r = MULADD(n, splat(-LN2_16), c);
  v8l bits = (v8l)shifted - (v8l)magic;
  v8d t = TABLE(bits & 15);
  v8d r2 = r * r, r4 = r2 * r2;
  // e^r − 1 = r + r²(c₂ + c₃r) + r⁴(c₄ + c₅r + c₆r²)
  v8d q23 = MULADD(r, splat(EXPM1_C3), splat(EXPM1_C2)), q45 = MULADD(r, splat(EXPM1_C5), splat(EXPM1_C4));
  v8d expm1 = MULADD(r4, MULADD(r2, splat(EXPM1_C6), q45), MULADD(r2, q23, r));
  return (v8d)((v8l)MULADD(t, expm1, t) + ((bits >> 4) << 52));
}

/// Counts one more vector of factors multiplied into `product`; every 256 (each lane then ≤ 2²⁵⁶)
/// moves the lanes' binary exponents into `exponents` and keeps their significands in [1, 2), so
/// the product never overflows. (A NaN lane loses its NaN here; the callers' other sums keep it.)
/// Nothing here calls a function: a call in the loop would make the compiler keep the loop's
/// vectors in memory.
PATH_TARGET static inline __attribute__((always_inline)) void NAMED(_count_factors)(
  int *factors, v8d *product, v8l *exponents) {
  if (++*factors == 256) {
    const v8l bits = (v8l)*product;
    *exponents += (bits >> 52) - 1023;
    *product = (v8d)((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
    *factors = 0;
  }
}

/// Eight rows at η = c + slope·x; lanes outside `in` (when `masked`) contribute nothing.
/// With a = e^{−|η|} and f = 1 + a ∈ [1, 2]: p = 1/f where η ≥ 0 and 1 − 1/f where η < 0 (within
/// an ulp of 1 absolutely, all that sums of p need), and log(1 + e^η) = max(η, 0) + log f, the
/// factors f multiplied into `product`, whose exponents are moved out every 256 vectors.
PATH_TARGET static inline __attribute__((always_inline)) void NAMED(_rows)(
  v8d xv, v8d c, v8d slope, v8l in, int masked, v8d *p, v8d *px, v8d *positive, v8d *product) {
  v8d eta = MULADD(slope, xv, c);
  v8l negative = eta < splat(0);
  v8d a = NAMED(_exp)((v8d)((v8l)eta | (v8l)splat(-0.0)));
  v8d f = splat(1) + a;
  v8d inverse = splat(1) / f;
  v8d probability = blend(negative, splat(1) - inverse, inverse);
  v8d part = blend(negative, splat(0), eta);
  if (masked) {
    probability = blend(in, probability, splat(0));
    part = blend(in, part, splat(0));
    f = blend(in, f, splat(1));
  }
  *p += probability;
  *px = MULADD(probability, xv, *px);
  *positive += part;
  *product *= f;
}

/// Loads x[i ..< i + 8], or the n − i < 8 left (the other lanes zero) into a vector; `in` says which.
PATH_TARGET static inline __attribute__((always_inline)) v8d NAMED(_load)(const double *x, long i, long n, v8l *in) {
  const v8l lane = {0, 1, 2, 3, 4, 5, 6, 7};
  v8d v;
  if (i + 8 <= n) {
    memcpy(&v, x + i, sizeof v);
    *in = lane < (v8l){0, 0, 0, 0, 0, 0, 0, 0} + 8;
  } else {
    double buffer[8] = {0};
    memcpy(buffer, x + i, (size_t)(n - i) * sizeof(double));
    memcpy(&v, buffer, sizeof v);
    *in = lane < (v8l){0, 0, 0, 0, 0, 0, 0, 0} + (n - i);
  }
  return v;
}

/// Stores the lanes of v to out[i ..< min(i + 8, n)].
PATH_TARGET static inline __attribute__((always_inline)) void NAMED(_store)(double *out, long i, long n, v8d v) {
  if (i + 8 <= n) {
    memcpy(out + i, &v, sizeof v);
  } else {
    double buffer[8];
    memcpy(buffer, &v, sizeof buffer);
    memcpy(out + i, buffer, (size_t)(n - i) * sizeof(double));
  }
}

PATH_TARGET static void NAMED(_group_pass)(
  const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *probability, double *sums) {
  const v8l lane = {0, 1, 2, 3, 4, 5, 6, 7};
  const v8d b = splat(slope);
  v8d px = splat(0), positive = splat(0), product = splat(1);
  v8l exponents = {0, 0, 0, 0, 0, 0, 0, 0};
  const long total = groupStart[groups];
  int factors = 0;
  for (long g = 0; g < groups; g++) {
    v8d p = splat(0);
    const v8d c = splat(offset[g]);
    long i = groupStart[g], end = groupStart[g + 1];
    for (; i <= end - 8; i += 8) {
      v8d xv;
      memcpy(&xv, x + i, sizeof xv);
      NAMED(_rows)(xv, c, b, lane, 0, &p, &px, &positive, &product);
      NAMED(_count_factors)(&factors, &product, &exponents);
    }
    if (i < end) {
      // The group's last rows, as one vector whose other lanes are zeroed. It is loaded straight
      // from x (the next group's rows fill the other lanes, `total` not `end` bounds the load)
      // except at the end of the array: through a stack copy, each group would pay for a failed
      // store-to-load forwarding.
      const v8l in = lane < (v8l){0, 0, 0, 0, 0, 0, 0, 0} + (end - i);
      v8l loaded;
      v8d xv = blend(in, NAMED(_load)(x, i, total, &loaded), splat(0));
      NAMED(_rows)(xv, c, b, in, 1, &p, &px, &positive, &product);
      NAMED(_count_factors)(&factors, &product, &exponents);
    }
    probability[g] = sumOfLanes(p);
  }
  sums[0] = sumOfLanes(px);
  sums[1] = sumOfLanes(positive) + logOfProduct(exponents, product);
}

/// The Newton pass of a logistic regression with ncols ≤ 4 dense columns (column-major, x[j + k·n]);
/// see simstudy_logit_newton_pass. Called with a constant `ncols`, so the loops over columns unroll.
PATH_TARGET static inline __attribute__((always_inline)) void NAMED(_newton_rows)(
  const double *x, long n, const int ncols, const double *y, const double *beta, double *eta, double *score,
  double *information, simstudy_logit_totals *totals) {
  v8d s[4], h[4][4], b[4];
  for (int k = 0; k < ncols; k++) {
    s[k] = splat(0);
    b[k] = splat(beta[k]);
    for (int l = k; l < ncols; l++) h[k][l] = splat(0);
  }
  v8d linear = splat(0), product = splat(1), largest = splat(-INFINITY);
  v8l correct = (v8l){0, 0, 0, 0, 0, 0, 0, 0};
  v8l exponents = {0, 0, 0, 0, 0, 0, 0, 0};
  int factors = 0;
  for (long i = 0; i < n; i += 8) {
    const int masked = n - i < 8;
    v8l in;
    v8d c[4], yv = NAMED(_load)(y, i, n, &in);
    for (int k = 0; k < ncols; k++) c[k] = NAMED(_load)(x + k * n, i, n, &in);
    v8d e = c[0] * b[0];
    for (int k = 1; k < ncols; k++) e = MULADD(c[k], b[k], e);
    NAMED(_store)(eta, i, n, e);
    const v8l nonnegative = e >= splat(0), one = yv == splat(1);
    v8d a = NAMED(_exp)((v8d)((v8l)e | (v8l)splat(-0.0)));
    v8d f = splat(1) + a;
    v8d inverse = splat(1) / f, ainverse = a * inverse;
    v8d p = blend(nonnegative, inverse, ainverse), q = blend(nonnegative, ainverse, inverse);
    v8d r = blend(one, q, -p);
    v8d w = ainverse * inverse;
    v8d margin = blend(one, e, -e);
    const v8l right = margin > splat(0);
    v8d loss = blend(right, splat(0), -margin);
    if (masked) {
      r = blend(in, r, splat(0));
      w = blend(in, w, splat(0));
      loss = blend(in, loss, splat(0));
      f = blend(in, f, splat(1));
      margin = blend(in, margin, splat(-INFINITY));
      correct -= right & in;
    } else {
      correct -= right;
    }
    linear += loss;
    largest = blend(margin > largest, margin, largest);
    product *= f;
    NAMED(_count_factors)(&factors, &product, &exponents);
    for (int k = 0; k < ncols; k++) {
      s[k] = MULADD(r, c[k], s[k]);
      v8d wc = w * c[k];
      for (int l = k; l < ncols; l++) h[k][l] = MULADD(wc, c[l], h[k][l]);
    }
  }
  for (int k = 0; k < ncols; k++) {
    score[k] = sumOfLanes(s[k]);
    for (int l = k; l < ncols; l++) information[k + l * ncols] = information[l + k * ncols] = sumOfLanes(h[k][l]);
  }
  totals->linear = sumOfLanes(linear);
  totals->logProduct = logOfProduct(exponents, product);
  double m = largest[0];
  for (int l = 1; l < 8; l++) m = largest[l] > m ? largest[l] : m;
  totals->largestMargin = m;
  totals->correct = (long)(((correct[0] + correct[1]) + (correct[2] + correct[3])) + ((correct[4] + correct[5]) + (correct[6] + correct[7])));
}

PATH_TARGET static int NAMED(_newton_pass)(
  const double *x, long n, long ncols, const double *y, const double *beta, double *eta, double *score,
  double *information, simstudy_logit_totals *totals) {
  switch (ncols) {
  case 1: NAMED(_newton_rows)(x, n, 1, y, beta, eta, score, information, totals); return 1;
  case 2: NAMED(_newton_rows)(x, n, 2, y, beta, eta, score, information, totals); return 1;
  case 3: NAMED(_newton_rows)(x, n, 3, y, beta, eta, score, information, totals); return 1;
  case 4: NAMED(_newton_rows)(x, n, 4, y, beta, eta, score, information, totals); return 1;
  default: return 0;
  }
}

/// log(1 + u), within about 1 ulp (fdlibm's method, vectorised): w = 1 + u rounded, its rounding
/// error (u − (w − 1))/w added back at the end; w = 2^e·m with m ∈ [√½, √2), and with f = m − 1,
/// s = f/(2 + f): log m = f − f²/2 + s(f²/2 + R(s²)), R fdlibm's degree-7 polynomial in s²
/// (Lg1 … Lg7 of e_log.c, error below 2⁻⁵⁸·⁴⁵), and e·ln 2 added in two parts. u = −1 gives −∞,
/// u < −1 NaN, u = +∞ +∞, NaN stays NaN.
PATH_TARGET static inline __attribute__((always_inline)) v8d NAMED(_log1p)(v8d u) {
  const v8d one = splat(1), magic = splat(6755399441055744.0);  // 1.5·2⁵²: int64 ↔ double
  v8d w = one + u;
  v8d correction = (u - (w - one)) / w;
  v8l bits = (v8l)w;
  v8d m = (v8d)((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
  v8l high = m > splat(1.4142135623730951);
  m = blend(high, splat(0.5) * m, m);
  v8d e = (v8d)(((bits >> 52) - 1023 - high) + (v8l)magic) - magic;
  v8d f = m - one;
  v8d s = f / (splat(2) + f);
  v8d z = s * s, z2 = z * z;
  v8d r = z2 * MULADD(z2, MULADD(z2, splat(LOG_LG6), splat(LOG_LG4)), splat(LOG_LG2)) +
    z * MULADD(z2, MULADD(z2, MULADD(z2, splat(LOG_LG7), splat(LOG_LG5)), splat(LOG_LG3)), splat(LOG_LG1));
  v8d halfSquare = splat(0.5) * f * f;
  v8d log = MULADD(e, splat(LN2_HI), -((halfSquare - MULADD(s, halfSquare + r, e * splat(LN2_LO))) - f)) + correction;
  // w ≤ 0, +∞ or NaN: −∞ at 0, +∞ at +∞, NaN otherwise.
  v8l regular = (w > splat(0)) & (w < splat(INFINITY));
  v8d special = blend(w == splat(0), splat(-INFINITY), blend(w == splat(INFINITY), splat(INFINITY), splat(NAN)));
  return blend(regular, log, special);
}

PATH_TARGET static double NAMED(_sum_log1p)(const double *x, long n, double scale) {
  v8d sum = splat(0);
  for (long i = 0; i < n; i += 8) {
    v8l in;
    v8d v = NAMED(_load)(x, i, n, &in);
    sum += blend(in, NAMED(_log1p)(splat(scale) * v), splat(0));
  }
  return sumOfLanes(sum);
}

PATH_TARGET static double NAMED(_sum_exp)(const double *x, long n, double shift) {
  v8d sum = splat(0);
  for (long i = 0; i < n; i += 8) {
    v8l in;
    v8d v = NAMED(_load)(x, i, n, &in);
    sum += blend(in, NAMED(_exp)(v - splat(shift)), splat(0));
  }
  return sumOfLanes(sum);
}

PATH_TARGET static void NAMED(_group_pointwise)(
  const double *y, const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *out) {
  for (long g = 0; g < groups; g++) {
    const v8d c = splat(offset[g]);
    const long end = groupStart[g + 1];
    for (long i = groupStart[g]; i < end; i += 8) {
      v8l in;
      v8d xv = NAMED(_load)(x, i, end, &in), yv = NAMED(_load)(y, i, end, &in);
      v8d eta = MULADD(splat(slope), xv, c);
      v8d a = NAMED(_exp)((v8d)((v8l)eta | (v8l)splat(-0.0)));
      NAMED(_store)(out, i, end, yv * eta - blend(eta < splat(0), splat(0), eta) - NAMED(_log1p)(a));
    }
  }
}

#undef NAMED
#undef NAMED_
#undef NAMED__
