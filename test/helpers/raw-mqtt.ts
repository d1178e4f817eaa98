// MQTT spoken by hand over a plain TCP socket, for the tests that probe what
// a broker does with bytes no well-behaved client library would send.
import { Socket } from 'node:net';

/** MQTT's variable-length "remaining length" (1 to 4 bytes). */
export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

const utf8 = (value: string) => {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

/** An MQTT 3.1.1 CONNECT packet (clean session, keep-alive 60 s). */
export function connectPacket(options: { clientId: string; username?: string; password?: string }): Buffer {
  let flags = 0x02;
  if (options.username !== undefined) flags |= 0x80;
  if (options.password !== undefined) flags |= 0x40;
  const variable = Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, 0, 60])]);
  const payload = Buffer.concat([
    utf8(options.clientId),
    ...(options.username !== undefined ? [utf8(options.username)] : []),
    ...(options.password !== undefined ? [utf8(options.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(variable.length + payload.length), variable, payload]);
}

export interface RawConnection {
  socket: Socket;
  /** Every byte the broker sent. */
  received(): Buffer;
  /** Resolves when the broker (or the network) closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Writes, waiting for the socket to drain; false once the connection is gone. */
  write(bytes: Uint8Array): Promise<boolean>;
}

export async function rawConnect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
  const socket = new Socket();
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed: closedPromise,
    isClosed: () => closed,
    write: (bytes) =>
      new Promise<boolean>((resolve) => {
        if (closed || socket.destroyed) return resolve(false);
        const onClose = () => resolve(false);
        socket.once('close', onClose);
        socket.write(bytes, (err) => {
          socket.off('close', onClose);
          resolve(!err && !closed);
        });
      }),
  };
}

/** The return code of the CONNACK among the bytes received, or undefined when none came. */
export function connackCode(bytes: Buffer): number | undefined {
  return bytes.length >= 4 && bytes[0] === 0x20 && bytes[1] === 0x02 ? bytes[3] : undefined;
}

/** Connects, sends a CONNECT, and waits for the CONNACK's return code or for the connection to close. */
export async function tryConnect(port: number, options: { clientId: string; username?: string; password?: string }, waitMs = 5000): Promise<{ code: number | undefined; connection: RawConnection }> {
  const connection = await rawConnect(port);
  await connection.write(connectPacket(options));
  const deadline = Date.now() + waitMs;
  while (connackCode(connection.received()) === undefined && !connection.isClosed() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return { code: connackCode(connection.received()), connection };
}
