import { shuffle } from './random.js';
/**
 * Area under the ROC curve by ranks (Mann–Whitney U), ties averaged: the probability that a
 * random positive scores above a random negative. 0.5 is chance.
 */
export function auc(scores: ArrayLike<number>, labels: readonly boolean[]): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision–recall curve as average precision (scikit-learn's definition): the
 * mean of the precision at each positive's rank, ties taken as one threshold. The figure to
 * report at low base rates, where ROC AUC flatters.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: readonly boolean[]): number {
  const order = descending(scores, labels.length);
  const positives = labels.filter(Boolean).length;
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let tpHere = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!]) tpHere++;
      j++;
    }
    seen += j - i;
    tp += tpHere;
    ap += (tpHere / positives) * (tp / seen);
    i = j;
  }
  return ap;
}

/**
 * Recall at the most permissive threshold whose false-positive rate stays at or under `fpr`
 * (e.g. 0.01): how many frauds are caught while bothering at most that share of good payments.
 */
export function recallAtFpr(scores: ArrayLike<number>, labels: readonly boolean[], fpr: number): number {
  const order = descending(scores, labels.length);
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!]) tp++;
      else fp++;
      j++;
    }
    if (fp / negatives > fpr) break;
    best = tp / positives;
    i = j;
  }
  return best;
}

function descending(scores: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
}

/**
 * Stratified k-fold assignment: the fold (0 … k−1) of each example, each class spread evenly over
 * the folds in a shuffled order drawn from `random`.
 */
export function stratifiedFoldOf<L>(labels: readonly L[], k: number, random: () => number): number[] {
  const byClass = new Map<L, number[]>();
  labels.forEach((label, i) => {
    const members = byClass.get(label);
    if (members === undefined) byClass.set(label, [i]);
    else members.push(i);
  });
  const fold = new Array<number>(labels.length).fill(0);
  for (const members of byClass.values()) {
    shuffle(members, random).forEach((index, n) => {
      fold[index] = n % k;
    });
  }
  return fold;
}
