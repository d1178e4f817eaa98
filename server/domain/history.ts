// History of a lot's occupancy (issue 10): 5-minute buckets by sensor time,
// the accumulator that fills them from applied live states, roll-ups and the
// API's points. The pieces live in domain/history/; this is the one module to
// import. Pure.
export * from './history/buckets.ts';
export * from './history/accumulator.ts';
export * from './history/hours.ts';
export * from './history/log.ts';
export * from './history/query.ts';
export * from './history/import.ts';
