import { Redis } from 'ioredis';
import type { LuaScript } from './lua-script.js';
import type { RedisTarget } from './redis-url.js';

export type RedisArg = string | number | Buffer;
export type RedisReply = string | number | null | RedisReply[];

/**
 * Direct Redis commands of the queue (its own keys and Lua scripts, beside BullMQ's), on an ioredis
 * connection of their own. Unlike BullMQ's connection it does not queue commands while Redis is
 * down: they fail at once (the caller sees TRAWL_E_QUEUE), and ioredis reconnects in the background,
 * so the queue heals by itself after a Redis restart. A command in flight when the connection drops
 * is not retried, because a script may already have run.
 */
export class RedisCommands {
  readonly #client: Redis;

  constructor(readonly target: RedisTarget) {
    this.#client = new Redis({ ...target.options, maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false });
    // Connection errors surface through the commands; unheard 'error' events would only be logged.
    this.#client.on('error', () => {});
  }

  get where(): string {
    return this.target.where;
  }

  async connect(): Promise<void> {
    if (this.#client.status === 'wait') await this.#client.connect();
  }

  async call(command: string, ...args: RedisArg[]): Promise<RedisReply> {
    return (await this.#client.call(command, ...args)) as RedisReply;
  }

  /** EVALSHA, loading the script with EVAL when the server does not have it (first use, after a restart). */
  async eval(script: LuaScript, keys: readonly string[], args: readonly RedisArg[]): Promise<RedisReply> {
    try {
      return (await this.#client.evalsha(script.sha, keys.length, ...keys, ...args)) as RedisReply;
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return (await this.#client.eval(script.source, keys.length, ...keys, ...args)) as RedisReply;
    }
  }

  close(): void {
    this.#client.disconnect();
  }
}
