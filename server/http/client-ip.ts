// The client's address as Express sees it (`req.ip`), for requests that do not
// pass through Express: Socket.IO's handshakes. The same TRUST_PROXY setting,
// compiled by Express itself, walks X-Forwarded-For from the nearest hop, so
// the Socket.IO limits count the same clients the HTTP limits do.
import type { IncomingMessage } from 'node:http';
import express from 'express';

export function clientIpResolver(trustProxy: boolean | number | string): (req: IncomingMessage) => string {
  const trusted = express().set('trust proxy', trustProxy).get('trust proxy fn') as (address: string, hop: number) => boolean;
  return (req) => {
    const socketAddress = req.socket.remoteAddress ?? 'unknown';
    const header = req.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .reverse();
    // The nearest hop first: the first address not trusted is the client.
    const hops = [socketAddress, ...forwarded];
    for (let i = 0; i < hops.length - 1; i++) if (!trusted(hops[i]!, i)) return normalize(hops[i]!);
    return normalize(hops[hops.length - 1]!);
  };
}

const normalize = (address: string) => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);
