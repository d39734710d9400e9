import { createServer, connect, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy that cuts connections on demand, to inject real network faults. */
export interface FaultProxy {
  readonly port: number;
  /** How many connections were cut. */
  readonly cuts: number;
  close(): Promise<void>;
}

/**
 * Forwards 127.0.0.1:<port> to target. `cut(chunk)` sees each client→server chunk; when it
 * returns true the chunk is dropped and both sockets are destroyed (a connection reset).
 */
export function startFaultProxy(targetPort: number, cut: (chunk: Buffer) => boolean): Promise<FaultProxy> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (cut(chunk)) {
        cuts += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        get cuts() { return cuts; },
        close: () => new Promise((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/** A predicate that is true for the `nth` chunk containing `marker` (1-based), once. */
export function nthMatching(marker: string, nth: number): (chunk: Buffer) => boolean {
  let seen = 0;
  return (chunk) => {
    if (!chunk.includes(marker)) return false;
    seen += 1;
    return seen === nth;
  };
}
