/**
 * Fence membership of one device and how a new fix moves it. Pure: the geo processor loads the
 * state, calls `advanceMembership`, publishes the events, then stores the new state.
 *
 * - enter: at the first fix inside (unless the fence was exited less than `exitDebounceMs` ago:
 *   GPS jitter at the edge must not turn into enter/exit pairs);
 * - exit: only once the device has been outside for `exitDebounceMs` (a fix inside meanwhile cancels
 *   it), so a jittering fix does not end the visit;
 * - dwell: once per visit, when inside for at least the fence's `dwellMs`.
 */
export type GeoEventKind = 'enter' | 'exit' | 'dwell';

export interface FenceMembership {
  /** inside: in the fence; leaving: last fix outside, exit pending; cooldown: exited, re-entry muted. */
  state: 'inside' | 'leaving' | 'cooldown';
  /** Event time of the enter that began this visit. */
  enteredAt: number;
  /** When the current state began (leaving / cooldown). */
  since: number;
  dwellEmitted: boolean;
}

export type Membership = Record<string, FenceMembership>;

export interface FenceTiming {
  dwellMs: number;
  exitDebounceMs: number;
}

export interface MembershipEvent {
  kind: GeoEventKind;
  fenceId: string;
  /** The enter time of the visit: with device and kind it identifies the event across replays. */
  visitStartedAt: number;
  /** For dwell and exit: how long the device has been inside, ms. */
  dwellMs?: number;
}

export function advanceMembership(
  previous: Readonly<Membership>,
  inside: ReadonlySet<string>,
  ts: number,
  timing: (fenceId: string) => FenceTiming,
): { membership: Membership; events: MembershipEvent[] } {
  const membership: Membership = {};
  const events: MembershipEvent[] = [];
  const fenceIds = new Set([...Object.keys(previous), ...inside]);
  for (const fenceId of fenceIds) {
    const before = previous[fenceId];
    const isInside = inside.has(fenceId);
    const { dwellMs, exitDebounceMs } = timing(fenceId);
    let next: FenceMembership | undefined = before === undefined ? undefined : { ...before };
    if (isInside) {
      if (next === undefined || (next.state === 'cooldown' && ts - next.since >= exitDebounceMs)) {
        next = { state: 'inside', enteredAt: ts, since: ts, dwellEmitted: false };
        events.push({ kind: 'enter', fenceId, visitStartedAt: ts });
      } else if (next.state === 'leaving') {
        next.state = 'inside';
        next.since = ts;
      }
      if (next.state === 'inside' && !next.dwellEmitted && ts - next.enteredAt >= dwellMs) {
        next.dwellEmitted = true;
        events.push({ kind: 'dwell', fenceId, visitStartedAt: next.enteredAt, dwellMs: ts - next.enteredAt });
      }
    } else if (next !== undefined) {
      if (next.state === 'inside') {
        next.state = 'leaving';
        next.since = ts;
      }
      if (next.state === 'leaving' && ts - next.since >= exitDebounceMs) {
        events.push({
          kind: 'exit',
          fenceId,
          visitStartedAt: next.enteredAt,
          dwellMs: next.since - next.enteredAt,
        });
        next = { ...next, state: 'cooldown', since: ts };
      } else if (next.state === 'cooldown' && ts - next.since >= exitDebounceMs) {
        next = undefined; // forgotten: membership stays bounded by the fences near the device
      }
    }
    if (next !== undefined) membership[fenceId] = next;
  }
  return { membership, events };
}
