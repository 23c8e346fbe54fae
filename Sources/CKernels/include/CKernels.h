// Not API: vectorised numerical kernels for the Swift modules (Estimators), with runtime dispatch
// to the widest vector unit of the machine. See Logit.c.
#ifndef SIMSTUDY_CKERNELS_H
#define SIMSTUDY_CKERNELS_H

/// One pass of the Bernoulli-logit likelihood's data-dependent sums over individuals stored group
/// by group: group g owns rows groupStart[g] ..< groupStart[g + 1] of x, and its linear predictor
/// is η_j = offset[g] + slope · x_j. Writes probability[g] = Σ_{j ∈ g} p_j with p = 1/(1 + e^{−η}),
/// sums[0] = Σ_j p_j x_j and sums[1] = Σ_j log(1 + e^{η_j}). With outcomes y (not needed here),
/// the log-likelihood is Σ_g offset[g] Σ_{j ∈ g} y_j + slope Σ_j y_j x_j − sums[1], and its
/// derivatives follow from the residual sums Σ_{j ∈ g} y_j − probability[g] and Σ_j y_j x_j − sums[0].
/// A NaN η makes the sums it enters NaN.
void simstudy_logit_group_pass(
  const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *probability, double *sums);

/// log p(y_j | η_j) = y_j η_j − log(1 + e^{η_j}) for each row, in the layout of
/// simstudy_logit_group_pass (y 0 or 1); writes groupStart[groups] values into out.
void simstudy_logit_group_pointwise(
  const double *y, const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *out);

/// Σ_i log(1 + scale · x_i), each term within about 1 ulp of log1p (−∞ where scale · x_i = −1,
/// NaN below).
double simstudy_sum_log1p(const double *x, long n, double scale);

/// Σ_i e^{x_i − shift} for x_i ≤ shift (each term within 2 ulp + 6.7·10⁻¹⁷·|x_i − shift| of exp,
/// and within 1.3·10⁻¹⁶ absolutely; terms below e^{−708} count as e^{−708}).
double simstudy_sum_exp(const double *x, long n, double shift);

/// Totals of one Newton pass (simstudy_logit_newton_pass) besides the score and information.
typedef struct {
  /// Σ over rows with margin m_j = (2y_j − 1)η_j ≤ 0 of −m_j; with logProduct, half the deviance.
  double linear;
  /// Σ_j log(1 + e^{−|η_j|}).
  double logProduct;
  /// max_j m_j.
  double largestMargin;
  /// The rows with m_j > 0 (classified correctly).
  long correct;
} simstudy_logit_totals;

/// One pass of Newton's method for a logistic regression of y (0 or 1) on `columns` ≤ 4 dense
/// columns x (column-major: x[j + k·n]) at β: writes η = xβ into eta (n entries), the score
/// Σ_j (y_j − p_j) x_j into score (columns entries), the information Σ_j p_j(1 − p_j) x_j x_jᵀ
/// into information (columns × columns, both triangles) and the totals. Returns 0, writing
/// nothing, when columns is not 1 … 4.
int simstudy_logit_newton_pass(
  const double *x, long n, long columns, const double *y, const double *beta, double *eta, double *score,
  double *information, simstudy_logit_totals *totals);

/// The widest code path this machine runs: 2 AVX-512, 1 AVX2 with FMA, 0 the baseline. The
/// kernels above take it; the `_on` variants below take a narrower one when asked (for tests that
/// compare the paths).
int simstudy_kernels_widest_path(void);

/// "avx512", "avx2" or "generic" for path 2, 1, 0.
const char *simstudy_kernels_path_name(int path);

/// simstudy_logit_group_pass on path min(path, widest).
void simstudy_logit_group_pass_on(
  int path, const double *x, const long *groupStart, long groups, const double *offset, double slope,
  double *probability, double *sums);

/// simstudy_logit_group_pointwise, simstudy_sum_log1p and simstudy_sum_exp on path min(path, widest).
void simstudy_logit_group_pointwise_on(
  int path, const double *y, const double *x, const long *groupStart, long groups, const double *offset,
  double slope, double *out);
double simstudy_sum_log1p_on(int path, const double *x, long n, double scale);
double simstudy_sum_exp_on(int path, const double *x, long n, double shift);

/// simstudy_logit_newton_pass on path min(path, widest).
int simstudy_logit_newton_pass_on(
  int path, const double *x, long n, long columns, const double *y, const double *beta, double *eta,
  double *score, double *information, simstudy_logit_totals *totals);

#endif
