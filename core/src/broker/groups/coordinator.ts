import { randomUUID } from 'node:crypto';
import { KafkaError } from '../../kafka-protocol/index.js';
import { OffsetStore } from './offset-store.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: an empty member id is answered MEMBER_ID_REQUIRED with one to join with. */
  requireKnownMemberId: boolean;
}

export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncResponse {
  errorCode: number;
  assignment: Buffer;
}

interface Member {
  id: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  pendingJoin: ((r: JoinResponse) => void) | null;
  pendingSync: ((r: SyncResponse) => void) | null;
  synced: boolean;
  sessionTimer: NodeJS.Timeout | null;
}

interface Group {
  id: string;
  state: GroupState;
  generation: number;
  protocolType: string | null;
  protocol: string | null;
  leader: string | null;
  members: Map<string, Member>;
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not rejoined yet. */
  pending: Map<string, NodeJS.Timeout>;
  rebalanceTimer: NodeJS.Timeout | null;
  syncTimer: NodeJS.Timeout | null;
  initialDelayUntil: number;
}

export interface CoordinatorSettings {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
}

const EMPTY = Buffer.alloc(0);

/** The consumer-group coordinator: the state machine of KAFKA-PROTOCOL.md §3. */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly store: OffsetStore;

  constructor(
    dir: string | null,
    readonly settings: CoordinatorSettings,
    readonly now: () => number = Date.now,
  ) {
    this.store = new OffsetStore(dir);
    for (const [id, meta] of this.store.meta) {
      const group = this.#group(id);
      group.generation = meta.generation;
      group.protocolType = meta.protocolType;
    }
  }

  join(req: JoinRequest): Promise<JoinResponse> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResponse> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] });
    if (req.groupId === '') return fail(KafkaError.INVALID_GROUP_ID);
    if (
      req.sessionTimeoutMs < this.settings.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs
    ) {
      return fail(KafkaError.INVALID_SESSION_TIMEOUT);
    }
    const group = this.#group(req.groupId);
    if (group.members.size > 0) {
      if (group.protocolType !== req.protocolType) return fail(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
      const supported = this.#commonProtocols(group, req.protocols);
      if (supported.length === 0) return fail(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
    }
    let memberId = req.memberId;
    if (memberId === '') {
      memberId = `${req.clientId}-${randomUUID()}`;
      // KIP-394: from JoinGroup v4 a new member first learns its id (MEMBER_ID_REQUIRED) and joins
      // with it; v0–v3 clients do not know that error and join at once with the id we give.
      if (req.requireKnownMemberId) {
        const timer = setTimeout(() => group.pending.delete(memberId), req.sessionTimeoutMs);
        timer.unref();
        group.pending.set(memberId, timer);
        return fail(KafkaError.MEMBER_ID_REQUIRED, memberId);
      }
    }
    let member = group.members.get(memberId);
    if (member === undefined) {
      if (req.memberId !== '') {
        const pendingTimer = group.pending.get(req.memberId);
        if (pendingTimer === undefined) return fail(KafkaError.UNKNOWN_MEMBER_ID);
        clearTimeout(pendingTimer);
        group.pending.delete(req.memberId);
      }
      member = {
        id: memberId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        pendingJoin: null,
        pendingSync: null,
        synced: false,
        sessionTimer: null,
      };
      if (group.members.size === 0) group.protocolType = req.protocolType;
      group.members.set(member.id, member);
      return this.#parkJoin(group, member, true);
    }
    const changed = !sameProtocols(member.protocols, req.protocols);
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (!changed && group.state === 'CompletingRebalance') {
      this.#touch(group, member);
      return Promise.resolve(this.#joinResponse(group, member));
    }
    if (!changed && group.state === 'Stable' && member.id !== group.leader) {
      this.#touch(group, member);
      return Promise.resolve(this.#joinResponse(group, member));
    }
    return this.#parkJoin(group, member, true);
  }

  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: Array<{ memberId: string; assignment: Buffer }>,
  ): Promise<SyncResponse> {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined)
      return Promise.resolve({ errorCode: KafkaError.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (generationId !== group.generation)
      return Promise.resolve({ errorCode: KafkaError.ILLEGAL_GENERATION, assignment: EMPTY });
    this.#touch(group, member);
    if (group.state === 'PreparingRebalance')
      return Promise.resolve({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    if (group.state === 'Stable')
      return Promise.resolve({ errorCode: KafkaError.NONE, assignment: member.assignment });
    member.synced = true;
    const parked = new Promise<SyncResponse>((resolve) => {
      member.pendingSync = resolve;
    });
    if (memberId === group.leader) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of group.members.values()) m.assignment = byMember.get(m.id) ?? EMPTY;
      this.#clearTimer(group, 'syncTimer');
      group.state = 'Stable';
      for (const m of group.members.values()) {
        const resolve = m.pendingSync;
        m.pendingSync = null;
        resolve?.({ errorCode: KafkaError.NONE, assignment: m.assignment });
      }
    }
    return parked;
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return KafkaError.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generation) return KafkaError.ILLEGAL_GENERATION;
    this.#touch(group, member);
    return group.state === 'PreparingRebalance' ? KafkaError.REBALANCE_IN_PROGRESS : KafkaError.NONE;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return KafkaError.UNKNOWN_MEMBER_ID;
    this.#removeMember(group, member);
    return KafkaError.NONE;
  }

  commit(
    groupId: string,
    generationId: number,
    memberId: string,
    entries: Array<{ topic: string; partition: number; offset: number; metadata: string | null }>,
  ): number {
    if (groupId === '') return KafkaError.INVALID_GROUP_ID;
    const group = this.#group(groupId);
    if (generationId < 0 && memberId === '') {
      if (group.members.size > 0) return KafkaError.UNKNOWN_MEMBER_ID;
    } else {
      const member = group.members.get(memberId);
      if (member === undefined) return KafkaError.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generation) return KafkaError.ILLEGAL_GENERATION;
      if (group.state === 'CompletingRebalance') return KafkaError.REBALANCE_IN_PROGRESS;
      this.#touch(group, member);
    }
    this.store.commit(groupId, entries);
    return KafkaError.NONE;
  }

  fetchOffset(groupId: string, topic: string, partition: number) {
    return this.store.get(groupId, topic, partition);
  }

  /** Every committed (topic, partition) of a group, for OffsetFetch with a null topic list. */
  committedPartitions(groupId: string): Array<{ topic: string; partition: number }> {
    return [...(this.store.offsets.get(groupId)?.keys() ?? [])].map((key) => {
      const [topic, partition] = key.split('\u0000') as [string, string];
      return { topic, partition: Number(partition) };
    });
  }

  describe(groupId: string) {
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      return { state: 'Dead' as GroupState, protocolType: '', protocol: '', members: [] };
    }
    return {
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol:
        group.state === 'Stable' || group.state === 'CompletingRebalance' ? (group.protocol ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata:
          group.state === 'Stable'
            ? (m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY)
            : EMPTY,
        assignment: group.state === 'Stable' ? m.assignment : EMPTY,
      })),
    };
  }

  list(): Array<{ groupId: string; protocolType: string }> {
    return [...this.#groups.values()].map((g) => ({ groupId: g.id, protocolType: g.protocolType ?? '' }));
  }

  /** Forces committed offsets to disk now, on the event loop (at close). */
  flush(): void {
    this.store.sync();
  }

  /** Forces committed offsets to disk on libuv's thread pool; `done` once they are. */
  flushAsync(done: (error: Error | null) => void): void {
    this.store.syncAsync(done);
  }

  close(): void {
    for (const group of this.#groups.values()) {
      this.#clearTimer(group, 'rebalanceTimer');
      this.#clearTimer(group, 'syncTimer');
      for (const timer of group.pending.values()) clearTimeout(timer);
      for (const m of group.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    }
    this.store.close();
  }

  #group(id: string): Group {
    let group = this.#groups.get(id);
    if (group === undefined) {
      group = {
        id,
        state: 'Empty',
        generation: 0,
        protocolType: null,
        protocol: null,
        leader: null,
        members: new Map(),
        pending: new Map(),
        rebalanceTimer: null,
        syncTimer: null,
        initialDelayUntil: 0,
      };
      this.#groups.set(id, group);
    }
    return group;
  }

  #parkJoin(group: Group, member: Member, rebalance: boolean): Promise<JoinResponse> {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    const parked = new Promise<JoinResponse>((resolve) => {
      member.pendingJoin = resolve;
    });
    if (rebalance && group.state !== 'PreparingRebalance') this.#prepareRebalance(group);
    this.#maybeCompleteJoin(group);
    return parked;
  }

  #prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        const resolve = m.pendingSync;
        m.pendingSync = null;
        resolve?.({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      }
    }
    this.#clearTimer(group, 'syncTimer');
    if (group.state === 'Empty' && this.settings.initialRebalanceDelayMs > 0) {
      group.initialDelayUntil = this.now() + this.settings.initialRebalanceDelayMs;
    }
    group.state = 'PreparingRebalance';
    const timeout = Math.max(1000, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.#clearTimer(group, 'rebalanceTimer');
    group.rebalanceTimer = setTimeout(() => this.#rebalanceTimedOut(group), timeout);
    group.rebalanceTimer.unref();
  }

  #rebalanceTimedOut(group: Group): void {
    group.rebalanceTimer = null;
    for (const m of [...group.members.values()]) if (m.pendingJoin === null) this.#dropMember(group, m);
    this.#completeJoin(group);
  }

  #maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    for (const m of group.members.values()) if (m.pendingJoin === null) return;
    const wait = group.initialDelayUntil - this.now();
    if (wait > 0) {
      const timer = setTimeout(() => this.#maybeCompleteJoin(group), wait);
      timer.unref();
      return;
    }
    this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    this.#clearTimer(group, 'rebalanceTimer');
    group.generation++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocol = null;
      group.leader = null;
      this.store.setMeta(group.id, { generation: group.generation, protocolType: group.protocolType });
      return;
    }
    group.protocol = this.#chooseProtocol(group);
    if (group.leader === null || !group.members.has(group.leader))
      group.leader = group.members.keys().next().value!;
    group.state = 'CompletingRebalance';
    this.store.setMeta(group.id, { generation: group.generation, protocolType: group.protocolType });
    for (const m of group.members.values()) {
      m.synced = false;
      const resolve = m.pendingJoin;
      m.pendingJoin = null;
      this.#touch(group, m);
      resolve?.(this.#joinResponse(group, m));
    }
    const timeout = Math.max(1000, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    group.syncTimer = setTimeout(() => {
      group.syncTimer = null;
      if (group.state !== 'CompletingRebalance') return;
      for (const m of [...group.members.values()]) if (!m.synced) this.#dropMember(group, m);
      if (group.members.size === 0) {
        group.state = 'PreparingRebalance';
        this.#completeJoin(group);
      } else this.#prepareRebalance(group);
    }, timeout);
    group.syncTimer.unref();
  }

  #joinResponse(group: Group, member: Member): JoinResponse {
    const isLeader = member.id === group.leader;
    return {
      errorCode: KafkaError.NONE,
      generationId: group.generation,
      protocolName: group.protocol ?? '',
      leader: group.leader ?? '',
      memberId: member.id,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.id,
            metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  #chooseProtocol(group: Group): string {
    const members = [...group.members.values()];
    const candidates = members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  #commonProtocols(group: Group, protocols: Array<{ name: string }>): string[] {
    return protocols
      .map((p) => p.name)
      .filter((name) => [...group.members.values()].every((m) => m.protocols.some((p) => p.name === name)));
  }

  #touch(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (member.pendingJoin === null && group.members.get(member.id) === member)
        this.#removeMember(group, member);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  /** Removes a member and moves the group on (rebalance, or Empty when nobody is left). */
  #removeMember(group: Group, member: Member): void {
    this.#dropMember(group, member);
    if (group.state === 'PreparingRebalance') {
      if (group.members.size === 0) this.#completeJoin(group);
      else this.#maybeCompleteJoin(group);
      return;
    }
    if (group.state === 'Empty' || group.state === 'Dead') return;
    this.#prepareRebalance(group);
    if (group.members.size === 0) this.#completeJoin(group);
  }

  #dropMember(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    group.members.delete(member.id);
    const joinResolve = member.pendingJoin;
    member.pendingJoin = null;
    joinResolve?.({
      errorCode: KafkaError.UNKNOWN_MEMBER_ID,
      generationId: -1,
      protocolName: '',
      leader: '',
      memberId: member.id,
      members: [],
    });
    const syncResolve = member.pendingSync;
    member.pendingSync = null;
    syncResolve?.({ errorCode: KafkaError.UNKNOWN_MEMBER_ID, assignment: EMPTY });
  }

  #clearTimer(group: Group, which: 'rebalanceTimer' | 'syncTimer'): void {
    const timer = group[which];
    if (timer !== null) clearTimeout(timer);
    group[which] = null;
  }
}

function sameProtocols(
  a: Array<{ name: string; metadata: Buffer }>,
  b: Array<{ name: string; metadata: Buffer }>,
): boolean {
  return (
    a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
  );
}
