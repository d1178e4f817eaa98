// The hash slot of a Redis key (hash tags honoured), from the package ioredis itself uses.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string): number;
}
