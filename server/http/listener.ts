// The HTTP server as a part of the service: builds the Express app, listens
// on PORT at start, and at stop closes every connection and waits for it.
import type { RequestListener, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from '../lifecycle.ts';

export interface HttpListenerOptions {
  server: HttpServer;
  port: number;
  host: string;
  /** Builds the request handler (the web bundle is built at start). */
  createApp: () => Promise<RequestListener>;
}

export class HttpListener {
  constructor(private readonly options: HttpListenerOptions) {}

  get port(): number {
    return (this.options.server.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  async start(): Promise<void> {
    const { server, port, host } = this.options;
    server.on('request', await this.options.createApp());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(`PORT ${port} is already in use; set PORT to a free port`) : err),
      );
      server.listen(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    const { server } = this.options;
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
