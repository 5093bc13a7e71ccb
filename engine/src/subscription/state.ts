/**
 * Every live subscription of the engine (Hasura's Subscription/State.hs): pollers by key, an
 * index of pollers by the tables they read (for wake-ups), the global limit, and the way in and
 * out for one subscriber. A poller whose last subscriber leaves stops and is dropped.
 */
import type pg from 'pg';
import type pino from 'pino';
import type { ReadRouter } from '../replicas/read-replicas.ts';
import { bindPlaceholders } from '@streamsync/database';
import { pgQueryError, QErr } from '../errors.ts';
import { queryWithin } from '../limits/statement-timeout.ts';
import type { Session } from '../session.ts';
import type { EngineState } from '../execute/state.ts';
import type { SubscriberSink } from './cohort.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionOptions } from './options.ts';
import {
  planSubscription,
  type CohortValues,
  type PlanContext,
  type SubscriptionPlan,
} from './plan.ts';
import { LivePoller, StreamPoller, type PollContext, type Poller } from './poller.ts';

export type StartResult = { k: 'other' } | { k: 'started'; stop(): void };

/** Tables (schema.name) that changed, each with the series that changed (null: any series). */
export type Changes = Map<string, Set<string> | null>;

export interface StateDeps {
  pool: pg.Pool;
  /** where polls read (a read replica when one is up); absent: `pool` */
  reads?: ReadRouter;
  options: SubscriptionOptions;
  metrics: SubscriptionMetrics;
  log: pino.Logger;
  includeInternal: boolean;
  plan: PlanContext;
}

export class SubscriptionsState {
  private readonly pollers = new Map<string, Poller>();
  private readonly byTable = new Map<string, Set<Poller>>();
  private readonly anyTable = new Set<Poller>();
  private total = 0;
  private nextSubscriber = 1;
  private readonly pollContext: PollContext;

  constructor(private readonly deps: StateDeps) {
    this.pollContext = {
      pool: deps.pool,
      reads: deps.reads,
      options: deps.options,
      metrics: deps.metrics,
      log: deps.log,
      includeInternal: deps.includeInternal,
      onIdle: (p) => this.drop(p),
    };
  }

  /**
   * Start a subscription for `req`, or say it is a query or mutation (`other`). Throws QErr for a
   * request that cannot start (validation, missing session variable, bad values, limits).
   */
  async start(
    state: EngineState,
    session: Session,
    req: unknown,
    sink: SubscriberSink,
    /** called once the request is known to be a subscription; may throw to refuse it */
    admit?: () => void,
  ): Promise<StartResult> {
    const outcome = planSubscription(state, session, req, this.deps.plan);
    if (outcome.k === 'other') return outcome;
    admit?.();
    const { plan, values } = outcome;
    if (this.total >= this.deps.options.maxTotal) {
      throw new QErr(
        'busy',
        `the server serves its maximum of ${this.deps.options.maxTotal} subscriptions; try again later`,
        200,
      );
    }
    if (!this.pollers.get(plan.key)?.hasCohort(values)) await this.validate(plan, values);
    const poller = this.pollerFor(plan);
    const { cohort } = poller.cohortFor(values);
    const id = this.nextSubscriber++;
    poller.add(cohort, { id, sink });
    this.total++;
    let stopped = false;
    return {
      k: 'started',
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.total--;
        poller.remove(id);
      },
    };
  }

  /** Hasura's validateVariablesTx: cast every value once, so one bad value cannot fail a batch. */
  private async validate(plan: SubscriptionPlan, values: CohortValues): Promise<void> {
    if (!plan.validation) return;
    const compiled = plan.validation;
    const bound = bindPlaceholders(compiled, (k) =>
      k === 'vars' ? JSON.stringify(values) : undefined,
    );
    try {
      await queryWithin(this.deps.pool, { text: compiled.text, values: bound }, plan.timeLimit);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, compiled.text, bound);
    }
  }

  private pollerFor(plan: SubscriptionPlan): Poller {
    let p = this.pollers.get(plan.key);
    if (p) return p;
    p =
      plan.kind === 'stream'
        ? new StreamPoller(plan, this.pollContext)
        : new LivePoller(plan, this.pollContext);
    this.pollers.set(plan.key, p);
    if (plan.tables === null) this.anyTable.add(p);
    else
      for (const t of plan.tables) {
        let set = this.byTable.get(t);
        if (!set) this.byTable.set(t, (set = new Set()));
        set.add(p);
      }
    return p;
  }

  private drop(p: Poller): void {
    if (this.pollers.get(p.plan.key) !== p) return;
    this.pollers.delete(p.plan.key);
    this.anyTable.delete(p);
    for (const t of p.plan.tables ?? []) {
      const set = this.byTable.get(t);
      set?.delete(p);
      if (set && set.size === 0) this.byTable.delete(t);
    }
  }

  /** Wake the pollers (and, for series-pinned ones, the cohorts) that read what changed. */
  wake(changes: Changes | null, notifiedAt?: number): void {
    if (changes === null) {
      for (const p of this.pollers.values()) p.wake(null, 'wakeup', notifiedAt);
      return;
    }
    const done = new Set<Poller>();
    for (const p of this.anyTable) {
      p.wake(null, 'wakeup', notifiedAt);
      done.add(p);
    }
    for (const [table, series] of changes) {
      for (const p of this.byTable.get(table) ?? []) {
        if (done.has(p)) continue;
        if (series && p.plan.series?.table === table) {
          const hit = [];
          for (const id of series) for (const c of p.bySeries.get(id) ?? []) hit.push(c);
          if (hit.length) p.wake(hit, 'wakeup', notifiedAt);
        } else {
          p.wake(null, 'wakeup', notifiedAt);
          done.add(p);
        }
      }
    }
    this.deps.metrics.wakeups.inc({ outcome: done.size > 0 ? 'matched' : 'none' });
  }

  counts(): {
    subscribers: Record<'live' | 'stream', number>;
    pollers: Record<'live' | 'stream', number>;
    cohorts: Record<'live' | 'stream', number>;
  } {
    const out = {
      subscribers: { live: 0, stream: 0 },
      pollers: { live: 0, stream: 0 },
      cohorts: { live: 0, stream: 0 },
    };
    for (const p of this.pollers.values()) {
      out.pollers[p.kind]++;
      out.cohorts[p.kind] += p.byId.size;
      out.subscribers[p.kind] += p.subscribers;
    }
    return out;
  }

  /** Stop every poller (the sockets are closed by the transport). */
  shutdown(): void {
    for (const p of this.pollers.values()) p.stop();
    this.pollers.clear();
    this.byTable.clear();
    this.anyTable.clear();
    this.total = 0;
  }
}
