#!/usr/bin/env python3
"""Reference values for Sources/Sampling/Diagnostics.swift and PSIS.swift, computed by arviz.

Writes Tests/Fixtures/diagnostics_reference.json: deterministic inputs (numpy default_rng, fixed
seed) together with what arviz 0.23 returns for them, so the Swift tests compare against an
independent implementation. Run from the repository root with a Python that has numpy, scipy and
arviz (e.g. /work/venv-bayes/bin/python scripts/reference/diagnostics_fixture.py). Not a build or
test dependency: the JSON is committed.

Numba is switched off so that arviz computes variances with numpy's two-pass np.var rather than its
one-pass sum-of-squares kernel (the two agree to ~1e-15 on these inputs; this only removes noise).

Non-finite numbers are written as the strings "nan", "inf", "-inf" (JSON has no literal for them).
"""
import json
import math
import re
import sys
import warnings

import numpy as np
import scipy
import arviz as az

warnings.filterwarnings("ignore")
az.Numba.disable_numba()

SEED = 20260417
rng = np.random.default_rng(SEED)


def enc(v):
    """JSON-safe float (non-finite as strings)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc_list(a):
    return [enc(v) for v in np.asarray(a, dtype=float).ravel()]


def ar1(n_chains, n_draws, rho, offsets=None, scales=None):
    """AR(1) chains x_t = rho x_{t-1} + sqrt(1 - rho^2) e_t started at stationarity, then
    scaled and shifted per chain."""
    x = np.empty((n_chains, n_draws))
    x[:, 0] = rng.normal(size=n_chains)
    s = math.sqrt(1 - rho * rho)
    for t in range(1, n_draws):
        x[:, t] = rho * x[:, t - 1] + s * rng.normal(size=n_chains)
    if scales is not None:
        x *= np.asarray(scales, dtype=float)[:, None]
    if offsets is not None:
        x += np.asarray(offsets, dtype=float)[:, None]
    return x


# ---------------------------------------------------------------- (a) MCMC diagnostics
diag_inputs = {
    "ar1_rho0.5": ar1(4, 200, 0.5),
    "ar1_rho0.95": ar1(4, 200, 0.95),
    "ar1_offset_chain": ar1(4, 200, 0.7, offsets=[0, 0, 0, 2.5]),
    "ar1_scale_chains": ar1(4, 200, 0.3, scales=[1, 1, 3, 0.3]),
    "antithetic_rho-0.6": ar1(4, 200, -0.6),
    "heavy_t1.5": rng.standard_t(1.5, size=(4, 200)),
    "integer_ties": np.round(2 * ar1(4, 200, 0.6)),
    "odd_draws_201": ar1(4, 201, 0.4, offsets=[5, 5, 5, 5]),
    "small_2x7": ar1(2, 7, 0.2),
    "single_chain_1x100": ar1(1, 100, 0.5),
    "constant": np.full((4, 50), 1.5),
    "realistic_4x1000": ar1(4, 1000, 0.8, offsets=[10, 10, 10, 10]),
    "large_offset_1e6": ar1(4, 200, 0.5, offsets=[1e6, 1e6, 1e6, 1e6]),
}

diagnostics = []
for name, x in diag_inputs.items():
    diagnostics.append({
        "name": name,
        "chains": [list(map(float, c)) for c in x],
        "rhat": enc(az.rhat(x, method="rank")),
        "ess_bulk": enc(az.ess(x, method="bulk")),
        "ess_tail": enc(az.ess(x, method="tail")),
        "ess_mean": enc(az.ess(x, method="mean")),
        "mcse_mean": enc(az.mcse(x, method="mean")),
        "mcse_sd": enc(az.mcse(x, method="sd")),
    })

quantile_probs = [0.0, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 1.0]
quantile_inputs = {
    "normal_n101": rng.normal(size=101),
    "normal_n1000": rng.normal(size=1000),
    "integer_ties_n40": rng.integers(0, 5, size=40).astype(float),
    "n1": np.array([3.25]),
    "n2": np.array([2.0, -1.0]),
}
quantiles = [
    {"name": name, "values": enc_list(v), "probs": quantile_probs,
     "quantiles": enc_list(np.quantile(v, quantile_probs))}
    for name, v in quantile_inputs.items()
]

# ---------------------------------------------------------------- (b) PSIS on raw log ratios
psis_inputs = [
    ("normal_sd1_S1000", rng.normal(size=1000), 1.0),
    ("normal_sd3_S1000_reff0.6", 3 * rng.normal(size=1000), 0.6),
    # log of Pareto(shape 1/k) draws with k = 0.8: their upper tail is exactly GPD(k)
    ("pareto_k0.8_S2000", np.log(rng.pareto(1 / 0.8, size=2000) + 1), 1.0),
    ("pareto_k0.3_S500_reff2", np.log(rng.pareto(1 / 0.3, size=500) + 1), 2.0),
    ("gumbel_S100", rng.gumbel(size=100), 0.8),
    ("short_S20_tail4", rng.normal(size=20), 1.0),  # tail of 4 ⇒ k = inf, no smoothing
]
psis = []
for name, lr, reff in psis_inputs:
    lw, k = az.psislw(lr.copy(), reff)
    psis.append({"name": name, "log_ratios": enc_list(lr), "reff": reff,
                 "log_weights": enc_list(lw), "k": enc(k)})

# ---------------------------------------------------------------- (b) PSIS-LOO
# y_i ~ N(mu, sigma^2), n = 30, last observation an outlier. Two models, exact conjugate draws
# arranged as 4 chains x 250 draws:
#   "nig": mu, sigma^2 unknown, normal-inverse-gamma prior mu | s2 ~ N(0, s2 / k0), s2 ~ IG(a0, b0)
#   "known_sigma": sigma = 1 known, mu ~ N(0, 10^2)
n_obs, n_chains, n_draws = 30, 4, 250
S = n_chains * n_draws
y = rng.normal(0.0, 1.0, size=n_obs)
y[-1] = 6.0

k0, a0, b0 = 0.01, 2.0, 2.0
ybar = y.mean()
kn = k0 + n_obs
mun = n_obs * ybar / kn
an = a0 + n_obs / 2
bn = b0 + 0.5 * ((y - ybar) ** 2).sum() + k0 * n_obs * ybar**2 / (2 * kn)
s2 = bn / rng.gamma(an, 1.0, size=S)
mu_nig = rng.normal(mun, np.sqrt(s2 / kn))
ll_nig = -0.5 * np.log(2 * np.pi * s2[None, :]) - 0.5 * (y[:, None] - mu_nig[None, :]) ** 2 / s2[None, :]

prec = n_obs + 1 / 100
mu_known = rng.normal(y.sum() / prec, prec**-0.5, size=S)
ll_known = -0.5 * np.log(2 * np.pi) - 0.5 * (y[:, None] - mu_known[None, :]) ** 2


def idata_for(ll, posterior):
    """InferenceData with log_likelihood (chain, draw, obs) and the posterior (chain, draw)."""
    ll_cdo = ll.T.reshape(n_chains, n_draws, n_obs)
    post = {k: v.reshape(n_chains, n_draws) for k, v in posterior.items()}
    return az.from_dict(posterior=post, log_likelihood={"y": ll_cdo})


models = {
    "nig": (ll_nig, {"mu": mu_nig, "sigma2": s2}),
    "known_sigma": (ll_known, {"mu": mu_known}),
}
loo = []
idatas = {}
for name, (ll, post) in models.items():
    idata = idata_for(ll, post)
    idatas[name] = idata
    entry = {"name": name, "observations": n_obs, "draws": S,
             # The log-likelihood matrix itself (30 x 1000) is not stored, to keep the file small:
             # the tests rebuild it from y and the draws with the formula of its model (row i =
             # observation i, S draws with the chains concatenated), which agrees with numpy's to
             # a few ulp.
             "y": enc_list(y),
             "posterior": {k: [list(map(float, c)) for c in v.reshape(n_chains, n_draws)]
                           for k, v in post.items()}}
    for label, reff in (("reff0.9", 0.9), ("reff_default", None)):
        res = az.loo(idata, pointwise=True, reff=reff)
        entry[label] = {
            "reff": enc(reff) if reff is not None else None,
            "elpd": enc(res["elpd_loo"]), "se": enc(res["se"]), "p_loo": enc(res["p_loo"]),
            "loo_i": enc_list(res["loo_i"].values), "pareto_k": enc_list(res["pareto_k"].values),
        }
    ess_p = az.ess(idata.posterior, method="mean")
    entry["default_reff"] = enc(np.hstack([ess_p[v].values.ravel() for v in ess_p.data_vars]).mean() / S)
    # lppd as arviz computes it inside loo
    entry["lppd"] = enc(float(np.sum([az.stats.stats_utils.logsumexp(r) - np.log(S) for r in ll])))
    loo.append(entry)

# ---------------------------------------------------------------- (c) compare
cmp = az.compare({k: az.loo(v, pointwise=True, reff=0.9) for k, v in idatas.items()}, method="pseudo-bma")
compare = {
    "models": list(models.keys()),
    "reff": 0.9,
    "rank": {k: int(cmp.loc[k, "rank"]) for k in models},
    "elpd_diff": {k: enc(cmp.loc[k, "elpd_diff"]) for k in models},
    "dse": {k: enc(cmp.loc[k, "dse"]) for k in models},
}

out = {
    "generator": "scripts/reference/diagnostics_fixture.py",
    "seed": SEED,
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                 "scipy": scipy.__version__, "arviz": az.__version__},
    "diagnostics": diagnostics,
    "quantiles": quantiles,
    "psis": psis,
    "loo": loo,
    "compare": compare,
}
text = json.dumps(out, indent=1)
# one line per array of numbers (the file stays readable without one line per number)
text = re.sub(r"\[\s*([-0-9.eE\"naif]+(?:,\s*[-0-9.eE\"naif]+)*)\s*\]",
              lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)
with open("Tests/Fixtures/diagnostics_reference.json", "w") as f:
    f.write(text + "\n")

for d in diagnostics:
    print(f'{d["name"]:22s} rhat={d["rhat"]} bulk={d["ess_bulk"]} tail={d["ess_tail"]} mean={d["ess_mean"]} mcse={d["mcse_mean"]}')
for p in psis:
    print(f'{p["name"]:28s} k={p["k"]}')
for e in loo:
    print(e["name"], e["reff0.9"]["elpd"], e["reff0.9"]["se"], e["reff0.9"]["p_loo"], max(e["reff0.9"]["pareto_k"]), e["default_reff"])
print(compare)
