/**
 * The worker's consumers: one consumer group member per topic that pipelines read, each in a
 * Kafka group of its own (topicGroupId()), so that a pipeline added, changed or disabled only
 * starts or stops the member of its own topic, and the members of every other topic go on without
 * a rebalance. A change that keeps a pipeline's topics (a transform, a mapping, a filter) touches no
 * consumer at all: batches read the current compiled pipelines of their topic (`pipelinesFor`), so
 * the next batch uses the new declaration.
 *
 * Why per topic and not per pipeline: the pipelines that read one topic are loaded together, one
 * transaction per chunk holding every pipeline's rows and the partition's one stored offset
 * (load/batch-writer.ts, the fence keyed by the worker group, topic and partition). Per-topic
 * members keep that key as it is, so a deployment that ran the single group before picks up
 * exactly where Postgres says it is: nothing is read again, nothing skipped. Kafka's own committed
 * offsets (a courtesy for lag tooling, never read to resume) now live under the per-topic groups.
 */
import type { GroupConsumerOptions, ConsumerState } from './group-consumer.ts';
import { GroupConsumer } from './group-consumer.ts';

export type TopicConsumersOptions = Omit<GroupConsumerOptions, 'topic' | 'groupId' | 'state'> & {
  /** the worker's group (ETL_GROUP_ID): the key of its offsets in Postgres, the prefix in Kafka */
  groupId: string;
};

/** The Kafka consumer group of a topic's members: the worker group, a dot, the topic. */
export function topicGroupId(groupId: string, topic: string): string {
  return `${groupId}.${topic}`;
}

export class TopicConsumers {
  private readonly members = new Map<string, GroupConsumer>();
  readonly state: ConsumerState = { paused: new Map(), lastErrors: new Map(), assigned: new Map() };

  constructor(private readonly o: TopicConsumersOptions) {}

  /**
   * Consume exactly these topics: a member joins the group of each new topic, the member of each
   * topic no longer read leaves its group; the others are left alone.
   */
  async apply(topics: string[]): Promise<void> {
    const wanted = new Set(topics);
    const leaving = [...this.members.keys()].filter((t) => !wanted.has(t));
    await Promise.all(
      leaving.map(async (topic) => {
        const member = this.members.get(topic)!;
        this.members.delete(topic);
        await member.stop();
        this.o.log.info(
          { topic, consumerGroup: topicGroupId(this.o.groupId, topic) },
          'consumer left the group',
        );
        for (const key of [...this.state.lastErrors.keys()])
          if (key.startsWith(`${topic}:`)) this.state.lastErrors.delete(key);
      }),
    );
    const joining = [...wanted].filter((t) => !this.members.has(t)).sort();
    for (const topic of joining) {
      const member = new GroupConsumer({
        ...this.o,
        topic,
        groupId: topicGroupId(this.o.groupId, topic),
        state: this.state,
        log: this.o.log.child({ consumerGroup: topicGroupId(this.o.groupId, topic) }),
      });
      this.members.set(topic, member);
      try {
        await member.run();
      } catch (err) {
        // not joined: the caller retries the whole set, which starts this topic again
        this.members.delete(topic);
        await member.stop();
        throw err;
      }
    }
  }

  /** Every member is in its group with an assignment (true with no topic to read). */
  get joined(): boolean {
    return [...this.members.values()].every((m) => m.joined);
  }

  /** A member's crash that its restart has not yet repaired, if any. */
  get crashed(): Error | null {
    for (const m of this.members.values()) if (m.crashed) return m.crashed;
    return null;
  }

  /** Every member finishes (or abandons) its batch in flight and leaves its group. */
  async stop(): Promise<void> {
    const members = [...this.members.values()];
    this.members.clear();
    await Promise.all(members.map((m) => m.stop()));
  }
}
