// Configuration: one validated schema, read once at start from the
// environment. A bad value stops the start with a message naming the variable.
import { z } from 'zod';
import { parseCidr, type Cidr } from './domain/addresses.ts';

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .url()
        .refine((v) => protocols.includes(new URL(v).protocol), {
          message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        })
        .optional(),
    )
    .optional();

const flag = z
  .enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['on', 'true', '1', 'yes'].includes(v));

export const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** SQL metadata; unset means a SQLite file in DATA_DIR. */
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Live state; unset means the in-process store (single instance only). */
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  /**
   * Redis Cluster instead of one Redis: some of its nodes, `host:port,host:port,…`
   * (the client finds the rest); REDIS_URL then only lends its password, if any.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v.split(',').map((n) => n.trim())))
    .pipe(
      z
        .array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port'))
        .min(1)
        .optional(),
    )
    .optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]*$/).default('kw:'),
  /** MQTT broker; unset means the embedded broker on MQTT_PORT. */
  MQTT_URL: optionalUrl(['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']),
  MQTT_PORT: port.default(1883),
  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  MQTT_BASE_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be topic levels of A-Z, a-z, 0-9, "_" and "-", without wildcards')
    .default('parking'),
  /** Stable client id for the persistent MQTT session (external broker). */
  MQTT_CLIENT_ID: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^#]+$/, 'must not contain "#" (the service adds "#2", "#3"… for its further connections)')
    .default('kongwei-ingest'),
  /** Ingest connections to an external broker (each its own persistent session); more than one share a subscription. */
  MQTT_INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(1),
  /** Messages each ingest connection commits at once (its MQTT 5 receive maximum); PUBACKs still follow each commit, in order. */
  MQTT_INGEST_INFLIGHT: z.coerce.number().int().min(1).max(1000).default(256),
  /**
   * MQTT 5 shared-subscription group (`$share/<group>/…`). Unset: plain
   * subscriptions for one connection, the group `kongwei` for several. Set it
   * (the same on every instance) to split ingest across several instances.
   */
  MQTT_SHARED_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" and "-"').optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  STALE_AFTER_S: z.coerce.number().int().positive().default(900),
  /**
   * The shortest time between two pushes to a subscription (changes in between are coalesced).
   * 50: a push waits at most that long, what a p99 of 100 ms from sensor to map needs (README "Performance").
   */
  PUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(10_000).default(50),
  /** The shortest time between two retained availability publishes of a lot (changes in between are coalesced). */
  AVAILABILITY_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Gateway authentication on the embedded broker: username = gateway id,
   * password = its secret. Unset: on, unless the broker listens on loopback
   * only (MQTT_HOST 127.0.0.1, ::1 or localhost) — see resolveMqttAuth().
   */
  MQTT_AUTH: flag.optional(),
  /** Largest MQTT packet the embedded broker takes (announced length); a larger one closes the connection before it is read. */
  MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1024).max(268_435_455).default(65_536),
  /** Bytes a connection may send before the embedded broker has accepted its CONNECT (the CONNECT included). */
  MQTT_MAX_CONNECT_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(8192),
  /** How long the embedded broker waits for a connection's CONNECT to arrive and be accepted. */
  MQTT_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Connections to the embedded broker per client IP address. */
  MQTT_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(32),
  /** Failed MQTT authentications per minute and IP answered at once (a token bucket); beyond, a failure is answered only at MQTT_CONNECT_TIMEOUT_MS. */
  MQTT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** The broker URL operators give their gateways (default: the embedded broker's port on the page's host, or MQTT_URL). */
  MQTT_PUBLIC_URL: optionalUrl(['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  /** Record history (on by default); off: no history log is written and nothing is recorded (forecasts then have no data). */
  HISTORY_RECORDING: flag.default(true),
  /** Days the 5-minute history buckets are kept (older: hourly roll-ups only). */
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(2).max(3660).default(90),
  /** Days the hourly roll-ups are kept. */
  HISTORY_HOURLY_RETENTION_DAYS: z.coerce.number().int().min(2).max(36_600).default(730),
  /** Time zone of the lots' opening hours (IANA name). */
  TIME_ZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai'),
  /** Write requests (POST, PATCH, DELETE) per minute and client IP. */
  WRITE_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
  /** Failed authentications per 15 minutes and client IP before requests are refused with 429. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  /** HTTP ingest: requests per minute and gateway before requests are refused with 429 (a batch is one request). */
  HTTP_INGEST_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  /** HTTP ingest: how long a message waits for the live store before the request answers 503 (nothing more is tried). */
  HTTP_INGEST_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Socket.IO connections per client IP address (behind a proxy, see TRUST_PROXY). */
  SOCKETS_PER_IP: z.coerce.number().int().min(1).default(256),
  /** Bearer token /metrics asks for; unset, /metrics is public. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Express "trust proxy": off, a hop count, or addresses/subnets (e.g. loopback) of the proxies in front. */
  TRUST_PROXY: z
    .string()
    .transform((v): boolean | number | string => (v === 'off' || v === 'false' ? false : v === 'on' || v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v))
    .default(false),
  /**
   * Webhook targets in these ranges are allowed although private, loopback,
   * link-local… (a comma-separated list of CIDRs or addresses); unset: none.
   */
  WEBHOOK_ALLOW_PRIVATE: z
    .string()
    .transform((v, ctx): Cidr[] => {
      const cidrs: Cidr[] = [];
      for (const item of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
        const cidr = parseCidr(item);
        if (cidr) cidrs.push(cidr);
        else ctx.addIssue({ code: 'custom', message: `"${item}" is not an address or CIDR range (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)` });
      }
      return cidrs;
    })
    .default([]),
  /** Seals webhook secrets at rest (AES-256-GCM); unset: a key file in DATA_DIR, made at the first webhook. The same on every instance. */
  WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long a webhook delivery attempt may take, connection and answer included. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Attempts per delivery before it is given up (failed). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  /** The wait after a delivery's first failed attempt; it doubles with each further failure, up to WEBHOOK_RETRY_MAX_MS (half fixed, half random). */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(15_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  /** How often each instance looks for webhook deliveries that are due (new ones go out at once). */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  /** Days the delivery log keeps delivered and failed deliveries. */
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The city's id in the ParkAPI v1 feed (GET /api/parkapi/v1/{CITY_ID}): a-z, 0-9 and "-". */
  CITY_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 characters of a-z, 0-9 and "-", starting with a letter or digit').default('shibei'),
  /** The city's (or district's) name in the feeds (ParkAPI's city list, the DATEX II publication's name). */
  CITY_NAME: z.string().trim().min(1).max(200).default('Shibei 市北区'),
  /** Seed the Shibei lots into an empty catalog at start. */
  SEED_LOTS: flag.default(true),
  TILE_URL: z.string().min(1).default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
  TILE_ATTRIBUTION: z.string().default('© OpenStreetMap contributors'),
  /** What fills TILE_URL's {s}: one character per subdomain (Amap's webrd01…04: 1234; Tianditu's t0…t7: 01234567). */
  TILE_SUBDOMAINS: z.string().trim().min(1).max(32).default('abc'),
  /** The highest zoom the tile server has tiles for; the map zooms further by enlarging them. */
  TILE_MAX_ZOOM: z.coerce.number().int().min(1).max(22).default(19),
  /**
   * The coordinate system the tiles are drawn in: wgs84 (OpenStreetMap, Tianditu) or gcj02 (Amap,
   * Tencent): the map then places lots, and reads clicks, in it. Lots and the API stay WGS-84.
   */
  TILE_CRS: z.enum(['wgs84', 'gcj02']).default('wgs84'),
  /** A second tile layer drawn over the first (Tianditu's labels, cva_w), in the same coordinate system; unset: none. */
  TILE_LABELS_URL: z.string().min(1).optional(),
});

/** The configuration as the service uses it: MQTT_AUTH resolved from its default. */
export type Config = Omit<z.infer<typeof configSchema>, 'MQTT_AUTH'> & {
  MQTT_AUTH: boolean;
  /** Whether MQTT_AUTH was set, or took its default from MQTT_HOST. */
  MQTT_AUTH_EXPLICIT: boolean;
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

/** Whether an interface is this machine's loopback only (nobody on the network can reach it). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.trim().toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host.trim());
}

/**
 * MQTT_AUTH's safe default: gateways must authenticate unless the embedded
 * broker listens on loopback only, where only programs on this machine can
 * reach it (the demo, tests, a gateway simulator on a laptop).
 */
export function resolveMqttAuth(explicit: boolean | undefined, mqttHost: string): boolean {
  return explicit ?? !isLoopbackHost(mqttHost);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const isSecret = (name: string) => name === 'ADMIN_TOKEN' || name === 'METRICS_TOKEN' || name === 'WEBHOOK_SECRET_KEY' || name.endsWith('PASSWORD');

/** Hides a password inside a URL, so error messages and logs never show it. */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

/** Reads the configuration from an environment; empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(configSchema.shape);
  const input: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const shown = isSecret(name) ? '(hidden)' : JSON.stringify(redactUrl(input[name]));
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  const { MQTT_AUTH, ...rest } = parsed.data;
  return { ...rest, MQTT_AUTH: resolveMqttAuth(MQTT_AUTH, rest.MQTT_HOST), MQTT_AUTH_EXPLICIT: MQTT_AUTH !== undefined };
}
