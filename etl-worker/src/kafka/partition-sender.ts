/**
 * Sends that survive a broker's death: one kafkajs send() per topic-partition.
 *
 * kafkajs 2.2.4 sends a multi-partition send() to each partition leader and, on a retriable
 * failure, retries only to the brokers that had not answered yet. When a broker dies and its
 * partitions move to a broker that had already answered, the retry has nothing to send, and the
 * send() resolves as if every message were written: those of the moved partitions are lost
 * (tulios/kafkajs#1798; a broker killed under the failure test lost two partitions' share of one
 * send). A send() to one partition has one leader, so its retry goes to wherever the partition
 * moved. The partition is chosen here with the partitioner kafkajs would use, from the topic's
 * partition count (read once per topic), so keys land where any client would put them.
 */
import {
  Partitioners,
  type CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
  type TopicMessages,
} from 'kafkajs';

export interface SendOptions {
  acks?: number;
  compression?: CompressionTypes;
}

export class PartitionSender {
  private readonly partitioner: ReturnType<ICustomPartitioner>;
  private readonly metadata = new Map<string, Promise<PartitionMetadata[]>>();

  constructor(
    private readonly kafka: Kafka,
    readonly producer: Producer,
    createPartitioner: ICustomPartitioner = Partitioners.DefaultPartitioner,
  ) {
    this.partitioner = createPartitioner();
  }

  /** Every message of every topic, one send() per topic-partition, all at once. */
  async sendBatch(topicMessages: TopicMessages[], opts: SendOptions = {}): Promise<void> {
    const sends: Array<Promise<unknown>> = [];
    for (const { topic, messages } of topicMessages) {
      for (const [partition, group] of await this.byPartition(topic, messages)) {
        sends.push(
          this.producer.send({ ...opts, topic, messages: group.map((m) => ({ ...m, partition })) }),
        );
      }
    }
    await Promise.all(sends);
  }

  send(topic: string, messages: Message[], opts: SendOptions = {}): Promise<void> {
    return this.sendBatch([{ topic, messages }], opts);
  }

  private async byPartition(topic: string, messages: Message[]): Promise<Map<number, Message[]>> {
    const partitionMetadata = await this.partitionsOf(topic);
    const out = new Map<number, Message[]>();
    for (const message of messages) {
      const partition =
        message.partition ?? this.partitioner({ topic, partitionMetadata, message });
      const group = out.get(partition);
      if (group) group.push(message);
      else out.set(partition, [message]);
    }
    return out;
  }

  /** The topic's partitions, asked once (a failed lookup is asked again next time). */
  private partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    let pending = this.metadata.get(topic);
    if (!pending) {
      pending = (async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          const partitions = topics[0]?.partitions ?? [];
          if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
          return partitions;
        } finally {
          await admin.disconnect().catch(() => {});
        }
      })();
      pending.catch(() => this.metadata.delete(topic));
      this.metadata.set(topic, pending);
    }
    return pending;
  }
}
