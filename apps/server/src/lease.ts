/**
 * Room leases and relay liveness in Redis (ioredis), for a cluster of relays.
 *
 * Keys (all under one prefix, default `arctalk:`):
 *
 * - `room:<sha256(room) hex>` → the id of the relay that owns the room, with a TTL
 *   (`PX`). Room names are hashed: Redis never learns them.
 * - `relay:<id>` → that relay's cluster address (`HOST:PORT`), with a TTL: the relay
 *   is alive while it renews it.
 *
 * Every change is one Lua script (atomic on the Redis server): take-or-read a lease
 * (`SET NX PX` semantics, plus: a lease whose relay is no longer alive is void),
 * renew all the leases a relay holds in one call (re-taking one Redis lost, e.g. after
 * a restart without persistence; reporting those another relay took meanwhile), and
 * release only one's own lease. This is the single-instance lock of the Redis
 * documentation ("SET resource value NX PX ttl", released by a compare-and-delete
 * script), not Redlock: one Redis (or a Sentinel/replicated one) is the source of truth.
 *
 * Redis never carries conversation bytes: only these small keys.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Takes the lease if free (or void: its relay is gone); else reads its owner and address. */
const ACQUIRE = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then
  local address = redis.call('GET', ARGV[3] .. owner)
  if address then return {owner, address} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {ARGV[1], ''}
`;

/** Renews every lease in KEYS held by ARGV[1]; re-takes missing ones; 0 where another relay holds it. */
const RENEW = `
local kept = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if owner == false or owner == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    kept[i] = 1
  else
    kept[i] = 0
  end
end
return kept
`;

/** Deletes the lease only if ARGV[1] holds it (compare-and-delete). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Who owns a room, as read from Redis. */
export interface Owner {
  /** the owning relay's id */
  readonly relayId: string;
  /** its cluster address `HOST:PORT`; '' when it is us */
  readonly address: string;
}

interface LeaseCommands {
  arctalkAcquire(key: string, me: string, ttl: number, relayPrefix: string): Promise<[string, string]>;
  arctalkRenew(...args: (string | number)[]): Promise<number[]>;
  arctalkRelease(key: string, me: string): Promise<number>;
}

/**
 * The Redis side of the cluster: one relay's leases and its liveness key.
 *
 * @example
 * const leases = new LeaseStore(redis, { relayId: 'r1', address: '127.0.0.1:6001', ttl: 10_000 });
 * const owner = await leases.acquire(LeaseStore.roomKey('lobby'));
 * if (owner.relayId === 'r1') { serve locally } else { forward to owner.address }
 */
export class LeaseStore {
  readonly #redis: Redis & LeaseCommands;
  readonly #relayId: string;
  readonly #address: string;
  readonly #ttl: number;
  readonly #prefix: string;

  /**
   * @param redis - a connected (or connecting) ioredis client; the store defines its scripts on it
   * @param options.relayId - this relay's id (unique in the cluster)
   * @param options.address - this relay's cluster address, `HOST:PORT`, as other relays dial it
   * @param options.ttl - lease and liveness time-to-live, in milliseconds
   * @param options.prefix - key prefix, default `arctalk:`
   */
  constructor(redis: Redis, options: { relayId: string; address: string; ttl: number; prefix?: string }) {
    this.#relayId = options.relayId;
    this.#address = options.address;
    this.#ttl = options.ttl;
    this.#prefix = options.prefix ?? 'arctalk:';
    redis.defineCommand('arctalkAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('arctalkRenew', { lua: RENEW });
    redis.defineCommand('arctalkRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#redis = redis as Redis & LeaseCommands;
  }

  /**
   * The lease id of a room: SHA-256 of its name (UTF-8), hex. Redis sees only this.
   *
   * @param room - the room name as in the HELLO
   * @returns 64 hex digits
   */
  static roomKey(room: string): string {
    return createHash('sha256').update(room, 'utf8').digest('hex');
  }

  /** The Redis key of a room lease. */
  key(roomKey: string): string {
    return `${this.#prefix}room:${roomKey}`;
  }

  /** The Redis key of a relay's liveness. */
  relayKey(relayId: string): string {
    return `${this.#prefix}relay:${relayId}`;
  }

  /**
   * Takes the room's lease if it is free (or its owner is no longer alive), else reads
   * who holds it. Atomic (one Lua script).
   *
   * @param roomKey - from {@link LeaseStore.roomKey}
   * @returns the owner: us (`relayId` is ours, `address` '') or another relay
   * @throws whatever ioredis throws when Redis cannot be reached
   */
  async acquire(roomKey: string): Promise<Owner> {
    const [relayId, address] = await this.#redis.arctalkAcquire(
      this.key(roomKey),
      this.#relayId,
      this.#ttl,
      `${this.#prefix}relay:`,
    );
    return { relayId, address };
  }

  /**
   * Renews our liveness and every lease in `roomKeys` (one round trip). A lease Redis
   * no longer has is taken again; one another relay holds now is lost.
   *
   * @param roomKeys - the rooms this relay serves
   * @returns the room keys whose lease another relay holds now (this relay must stop serving them)
   * @throws whatever ioredis throws when Redis cannot be reached
   */
  async renew(roomKeys: readonly string[]): Promise<string[]> {
    const pipeline = this.#redis.pipeline();
    pipeline.set(this.relayKey(this.#relayId), this.#address, 'PX', this.#ttl);
    const keys = roomKeys.map((roomKey) => this.key(roomKey));
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    if (keys.length === 0) return [];
    const lost: string[] = [];
    // In batches, so that one script call never holds Redis for long.
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      const kept = await this.#redis.arctalkRenew(batch.length, ...batch, this.#relayId, this.#ttl);
      kept.forEach((ok, j) => {
        if (ok !== 1) lost.push(roomKeys[i + j]!);
      });
    }
    return lost;
  }

  /**
   * Releases a room's lease if we hold it (compare-and-delete).
   *
   * @param roomKey - from {@link LeaseStore.roomKey}
   * @throws whatever ioredis throws when Redis cannot be reached (the lease then expires by itself)
   */
  async release(roomKey: string): Promise<void> {
    await this.#redis.arctalkRelease(this.key(roomKey), this.#relayId);
  }

  /**
   * Deletes our liveness key: every lease we still hold is void at once for the others.
   *
   * @throws whatever ioredis throws when Redis cannot be reached (the key then expires by itself)
   */
  async retire(): Promise<void> {
    await this.#redis.del(this.relayKey(this.#relayId));
  }
}

/** Leases renewed per script call. */
const BATCH = 500;
