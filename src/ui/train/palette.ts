// Okabe–Ito colours, which stay distinguishable under the common colour-vision deficiencies.
// The CSS variables (train.css) switch to lighter variants in dark mode.
export const RUN_COLORS = [
  'var(--fs-run-0, #0072B2)',
  'var(--fs-run-1, #E69F00)',
  'var(--fs-run-2, #009E73)',
  'var(--fs-run-3, #CC79A7)',
  'var(--fs-run-4, #D55E00)',
  'var(--fs-run-5, #56B4E9)',
  'var(--fs-run-6, #999999)',
] as const;

export function runColor(index: number): string {
  return RUN_COLORS[((index % RUN_COLORS.length) + RUN_COLORS.length) % RUN_COLORS.length]!;
}
