import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can go silent as a blackholed network does: `hold()` stops
 * forwarding bytes in both directions on every connection, open and new, without closing any
 * (the kernel buffers fill, the server blocks writing, the client hears nothing); `release()`
 * forwards again, nothing lost.
 */
export interface HoldProxy {
  readonly port: number;
  /** Connections made through the proxy so far. */
  readonly connections: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** Forwards `from` to `to` chunk by chunk (not pipe(): its backpressure handling would resume a held socket). */
function forward(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => { to.write(chunk); });
  from.on('end', () => to.end());
}

/** Forwards 127.0.0.1:<port> to targetHost:targetPort until held. */
export async function startHoldProxy(targetHost: string, targetPort: number): Promise<HoldProxy> {
  const sockets = new Set<Socket>();
  let held = false;
  let connections = 0;
  // A close is not passed on while held either: the other end learns of it on release.
  const deferred: (() => void)[] = [];
  const passOn = (action: () => void) => { if (held) deferred.push(action); else action(); };
  const track = (socket: Socket): Socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (held) socket.pause();
    return socket;
  };
  const server = createServer((client) => {
    connections += 1;
    const upstream = track(connect(targetPort, targetHost));
    track(client);
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => passOn(() => upstream.destroy()));
    upstream.on('close', () => passOn(() => client.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get connections() { return connections; },
    hold: () => { held = true; for (const socket of sockets) socket.pause(); },
    release: () => {
      held = false;
      for (const socket of sockets) socket.resume();
      for (const action of deferred.splice(0)) action();
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
