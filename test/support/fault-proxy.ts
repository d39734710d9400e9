import { createServer, connect, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy that cuts connections on demand, to inject real network faults. */
export interface FaultProxy {
  readonly port: number;
  /** How many faults were played. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** What the proxy does to a chunk: reset the connection, or answer as an overloaded gateway. */
export type Fault = 'reset' | 'http-503';

const GATEWAY_503 = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 19\r\n'
  + 'Connection: close\r\n\r\n<h1>503 busy</h1>\r\n';

/**
 * Forwards 127.0.0.1:<port> to target. `decide(chunk)` sees each client→server chunk; when it
 * names a fault the chunk is not forwarded and the fault is played instead.
 */
export function startFaultProxy(targetPort: number, decide: (chunk: Buffer) => Fault | undefined): Promise<FaultProxy> {
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
      const fault = decide(chunk);
      if (fault !== undefined) {
        cuts += 1;
        upstream.destroy();
        if (fault === 'reset') client.resetAndDestroy();
        else client.end(GATEWAY_503);
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

/** Plays `fault` on the `nth` chunk containing `marker` (1-based), once. */
export function nthMatching(marker: string, nth: number, fault: Fault = 'reset'): (chunk: Buffer) => Fault | undefined {
  let seen = 0;
  return (chunk) => {
    if (!chunk.includes(marker)) return undefined;
    seen += 1;
    return seen === nth ? fault : undefined;
  };
}
