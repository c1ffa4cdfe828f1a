// Classification figures for the sentiment bench and `hexcast model evaluate sentiment`.

export interface ClassReport {
  accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  /** F1 per class, by class name. */
  f1: Record<string, number>;
}

/** Accuracy and F1 (macro, support-weighted, per class) of `predicted` against `actual`. */
export function classReport(
  actual: readonly string[],
  predicted: readonly string[],
  classes: readonly string[],
): ClassReport {
  const f1: Record<string, number> = {};
  let correct = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] === predicted[i]) correct++;
  let macro = 0;
  let weighted = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < actual.length; i++) {
      if (predicted[i] === c && actual[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (actual[i] === c) fn++;
    }
    const score = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    f1[c] = score;
    macro += score / classes.length;
    weighted += (score * (tp + fn)) / Math.max(actual.length, 1);
  }
  return { accuracy: correct / Math.max(actual.length, 1), macro_f1: macro, weighted_f1: weighted, f1 };
}

/** Pearson's correlation coefficient. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
