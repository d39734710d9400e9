/**
 * A thin fake Kafka broker, enough for kafkajs's admin client to read watermarks and committed
 * offsets: one node (id 0) at 127.0.0.1:<port> that leads every partition of its one topic and
 * coordinates every group. It records every request it is sent, decoded, for the test to check.
 *
 * It speaks only the versions kafkajs 2.2.4 picks against a modern broker (its highest; all of them
 * non-flexible, so plain int16-length strings and int32-count arrays), and advertises exactly those:
 *   ApiVersions v2, Metadata v6, ListOffsets v3, FindCoordinator v2, OffsetFetch v4,
 *   SaslHandshake v1 and SaslAuthenticate v1 (PLAIN only).
 * Any other request is recorded and answered by closing the connection.
 */
import { createServer, type Socket } from 'node:net';

/** A partition's offsets; `committed` is the group's, absent when it never committed. */
export interface FakePartition {
  readonly low: number;
  readonly high: number;
  readonly committed?: number;
}

export interface FakeKafkaOptions {
  readonly topic: string;
  /** Partition i of the topic is partitions[i]. */
  readonly partitions: readonly FakePartition[];
  /** The group whose committed offsets are in `partitions`; other groups committed nothing. */
  readonly group: string;
  /** With credentials, SASL PLAIN logins must match them. */
  readonly sasl?: { readonly username: string; readonly password: string };
}

/** One request as the fake decoded it. */
export interface SeenRequest {
  readonly api: string;
  readonly version: number;
  readonly clientId: string | null;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface FakeKafka {
  readonly port: number;
  readonly requests: readonly SeenRequest[];
  close(): Promise<void>;
}

/** api key → [name, the one version the fake speaks]. */
const APIS: ReadonlyMap<number, readonly [string, number]> = new Map([
  [18, ['ApiVersions', 2]], [3, ['Metadata', 6]], [2, ['ListOffsets', 3]], [10, ['FindCoordinator', 2]],
  [9, ['OffsetFetch', 4]], [17, ['SaslHandshake', 1]], [36, ['SaslAuthenticate', 1]],
] as const);

const NODE_ID = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const SASL_AUTHENTICATION_FAILED = 58;

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  int8(): number { return this.buffer.readInt8((this.offset += 1) - 1); }
  int16(): number { return this.buffer.readInt16BE((this.offset += 2) - 2); }
  int32(): number { return this.buffer.readInt32BE((this.offset += 4) - 4); }
  int64(): number { return Number(this.buffer.readBigInt64BE((this.offset += 8) - 8)); }
  bytes(length: number): Buffer { return this.buffer.subarray(this.offset, (this.offset += length)); }
  string(): string | null {
    const length = this.int16();
    return length < 0 ? null : this.bytes(length).toString('utf8');
  }
  /** A null array (count -1) reads as null. */
  array<T>(item: (reader: Reader) => T): T[] | null {
    const count = this.int32();
    return count < 0 ? null : Array.from({ length: count }, () => item(this));
  }
}

class Writer {
  private readonly parts: Buffer[] = [];
  private put(size: number, write: (buffer: Buffer) => void): this {
    const buffer = Buffer.alloc(size);
    write(buffer);
    this.parts.push(buffer);
    return this;
  }
  int8(value: number): this { return this.put(1, (b) => b.writeInt8(value)); }
  int16(value: number): this { return this.put(2, (b) => b.writeInt16BE(value)); }
  int32(value: number): this { return this.put(4, (b) => b.writeInt32BE(value)); }
  int64(value: number): this { return this.put(8, (b) => b.writeBigInt64BE(BigInt(value))); }
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const bytes = Buffer.from(value, 'utf8');
    this.int16(bytes.length).parts.push(bytes);
    return this;
  }
  bytes(value: Buffer): this {
    this.int32(value.length).parts.push(value);
    return this;
  }
  array<T>(items: readonly T[], item: (writer: Writer, value: T) => void): this {
    this.int32(items.length);
    for (const value of items) item(this, value);
    return this;
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

type Handler = (reader: Reader, body: Record<string, unknown>, writer: Writer) => void;

function handlers(options: FakeKafkaOptions, port: () => number): ReadonlyMap<string, Handler> {
  const partitionIds = options.partitions.map((_, index) => index);
  const partitionAt = (topic: string | null, partition: number) => (topic === options.topic ? options.partitions[partition] : undefined);
  return new Map<string, Handler>([
    ['ApiVersions', (_reader, _body, writer) => {
      writer.int16(0).array([...APIS], (w, [key, [, version]]) => w.int16(key).int16(version).int16(version)).int32(0);
    }],
    ['Metadata', (reader, body, writer) => {
      const topics = reader.array((r) => r.string()) ?? [options.topic];
      Object.assign(body, { topics, allowAutoTopicCreation: reader.int8() === 1 });
      writer.int32(0).array([NODE_ID], (w, id) => w.int32(id).string('127.0.0.1').int32(port()).string(null))
        .string('fake-cluster').int32(NODE_ID)
        .array(topics, (w, topic) => {
          const known = topic === options.topic;
          // Partitions listed highest first, as a broker may: the reader must not rely on the order.
          w.int16(known ? 0 : UNKNOWN_TOPIC_OR_PARTITION).string(topic).int8(0)
            .array(known ? [...partitionIds].reverse() : [], (p, id) => p.int16(0).int32(id).int32(NODE_ID)
              .array([NODE_ID], (r, node) => r.int32(node)).array([NODE_ID], (r, node) => r.int32(node)).array([], () => undefined));
        });
    }],
    ['ListOffsets', (reader, body, writer) => {
      const replicaId = reader.int32();
      const isolationLevel = reader.int8();
      const topics = reader.array((r) => ({ topic: r.string(), partitions: r.array((p) => ({ partition: p.int32(), timestamp: p.int64() })) ?? [] })) ?? [];
      Object.assign(body, { replicaId, isolationLevel, topics });
      writer.int32(0).array(topics, (w, { topic, partitions }) => w.string(topic).array(partitions, (p, { partition, timestamp }) => {
        const offsets = partitionAt(topic, partition);
        // -1 asks for the latest offset (the high watermark), -2 for the earliest.
        const offset = timestamp === -2 ? offsets?.low : timestamp === -1 ? offsets?.high : undefined;
        p.int32(partition).int16(offset === undefined ? UNKNOWN_TOPIC_OR_PARTITION : 0).int64(-1).int64(offset ?? -1);
      }));
    }],
    ['FindCoordinator', (reader, body, writer) => {
      Object.assign(body, { key: reader.string(), keyType: reader.int8() });
      writer.int32(0).int16(0).string(null).int32(NODE_ID).string('127.0.0.1').int32(port());
    }],
    ['OffsetFetch', (reader, body, writer) => {
      const groupId = reader.string();
      const topics = reader.array((r) => ({ topic: r.string(), partitions: r.array((p) => p.int32()) ?? [] })) ?? [];
      Object.assign(body, { groupId, topics });
      writer.int32(0).array(topics, (w, { topic, partitions }) => w.string(topic).array(partitions, (p, partition) => {
        const committed = groupId === options.group ? partitionAt(topic, partition)?.committed : undefined;
        p.int32(partition).int64(committed ?? -1).string('').int16(0);
      })).int16(0);
    }],
    ['SaslHandshake', (reader, body, writer) => {
      body.mechanism = reader.string();
      writer.int16(0).array(['PLAIN'], (w, name) => w.string(name));
    }],
    ['SaslAuthenticate', (reader, body, writer) => {
      // PLAIN: authorization identity, username and password, NUL-separated.
      const [, username, password] = reader.bytes(reader.int32()).toString('utf8').split('\u0000');
      Object.assign(body, { username, password });
      const accepted = !options.sasl || (username === options.sasl.username && password === options.sasl.password);
      writer.int16(accepted ? 0 : SASL_AUTHENTICATION_FAILED).string(accepted ? null : 'Authentication failed: Invalid username or password')
        .bytes(Buffer.alloc(0)).int64(0);
    }],
  ]);
}

/** Starts the fake on a free loopback port. */
export function startFakeKafka(options: FakeKafkaOptions): Promise<FakeKafka> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  const answer = handlers(options, () => port);

  /** Answers one request frame (without its size prefix); false when the fake does not speak it. */
  function serve(frame: Buffer, socket: Socket): boolean {
    const reader = new Reader(frame);
    const [apiKey, version, correlationId, clientId] = [reader.int16(), reader.int16(), reader.int32(), reader.string()];
    const [api, spoken] = APIS.get(apiKey) ?? [`api key ${apiKey}`, -1];
    const body: Record<string, unknown> = {};
    requests.push({ api, version, clientId, body });
    const handler = answer.get(api);
    if (!handler || version !== spoken) return false;
    const writer = new Writer().int32(correlationId);
    handler(reader, body, writer);
    const response = writer.done();
    const size = Buffer.alloc(4);
    size.writeInt32BE(response.length);
    socket.write(Buffer.concat([size, response]));
    return true;
  }

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const end = 4 + pending.readInt32BE(0);
        const frame = pending.subarray(4, end);
        pending = pending.subarray(end);
        if (!serve(frame, socket)) {
          socket.destroy();
          return;
        }
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        requests,
        close: () => new Promise((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
