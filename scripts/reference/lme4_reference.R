#!/usr/bin/env Rscript
# The R side of `study fit lmm` / `study fit logit` on the data sets kept with the tests: lme4's own
# summaries, and glmmTMB's for the binomial model (its standard errors come from the exact Hessian of
# the Laplace approximation, where lme4's come from a finite-difference Hessian). A reference for
# people, never a dependency of the build or of CI. On Debian:
#   apt-get install r-cran-lme4 r-cran-glmmtmb && Rscript scripts/reference/lme4_reference.R
# Tested with R 4.2.2, lme4 1.1-31 and glmmTMB 1.1.5 (Debian 12).
suppressMessages({ library(lme4); library(glmmTMB) })
here <- function() {
  args <- commandArgs(FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  normalizePath(file.path(dirname(file), "..", ".."))
}
fixture <- function(name) read.csv(file.path(here(), "Tests", "Fixtures", name))
show <- function(title, model) {
  cat("\n==== ", title, "\n", sep = "")
  print(summary(model), digits = 7, correlation = FALSE)
}

sleep <- fixture("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
pastes <- fixture("Pastes.csv")
dye <- fixture("Dyestuff.csv")
pen <- fixture("Penicillin.csv")
cbpp <- fixture("cbpp.csv"); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)

show("Penicillin  diameter ~ 1 + (1|plate) + (1|sample)", lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen))
show("sleepstudy  Reaction ~ Days + (Days | Subject)", lmer(Reaction ~ Days + (Days | Subject), sleep))
show("sleepstudy  Reaction ~ Days + (Days | Subject), ML", lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE))
show("sleepstudy  Reaction ~ Days + (Days || Subject)", lmer(Reaction ~ Days + (Days || Subject), sleep))
show("Pastes  strength ~ 1 + (1 | batch/cask)", lmer(strength ~ 1 + (1 | batch / cask), pastes))
show("Pastes  strength ~ 1 + (1 | batch) + (1 | cask)  (crossed: the wrong model)", lmer(strength ~ 1 + (1 | batch) + (1 | cask), pastes))
show("Dyestuff  Yield ~ 1 + (1 | Batch), ML", lmer(Yield ~ 1 + (1 | Batch), dye, REML = FALSE))
f <- cbind(incidence, size - incidence) ~ period + (1 | herd)
show("cbpp  glmer Laplace", glmer(f, cbpp, family = binomial))
show("cbpp  glmer nAGQ = 25", glmer(f, cbpp, family = binomial, nAGQ = 25))
cat("\n==== cbpp  glmmTMB (Laplace, exact Hessian)\n")
m <- glmmTMB(f, cbpp, family = binomial)
print(summary(m)$coefficients$cond, digits = 8)
print(logLik(m))
