internal import CKernels

/// The vectorised logit kernels (Docs/BinaryChoice.md §12a): which of their code paths this
/// machine takes. The AVX-512 and AVX2 paths give identical bits; the baseline path differs in
/// the last bits, so the path belongs to what a run's bit-exact reproduction depends on.
public enum LogitKernels {
  /// "avx512", "avx2" or "generic".
  public static let path = String(cString: simstudy_kernels_path_name(simstudy_kernels_widest_path()))
}
