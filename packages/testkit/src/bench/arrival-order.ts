/**
 * Whether a burst kept its order: the sequence numbers of one sender's
 * messages in the order the receiving side shows them. A message counts as
 * out of order when one sent after it is shown before it, so a single
 * message overtaken by the rest counts once, and a burst that arrives
 * reversed counts every message but the first shown.
 */

/** Messages shown after a message sent later than them; 0 for a burst in order. */
export function outOfOrderCount(shownSeqs: readonly number[]): number {
  let highest = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const seq of shownSeqs) {
    if (seq < highest) late++;
    else highest = seq;
  }
  return late;
}
