export { createPermutation, type Permutation } from './keyed-permutation.js';
export { parseSeed, randomSeed } from './seed.js';
export { parseShard, shardRange, type Shard } from './shard.js';
export { planUnits } from './unit-planner.js';
