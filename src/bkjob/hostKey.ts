/**
 * One string key per host, for maps and sets keyed by host (error lines, seen hosts).
 */
import type { HostAddress } from './model';

/**
 * `bkHostId` when BlueKing gives one (v3; soon the only identity of IPv6-only hosts, whose `ip`
 * may be empty), else `${bkCloudId}:${ip}`. A bare host id has no ":" so the two forms never collide.
 */
export function hostKey(host: HostAddress): string {
  return host.bkHostId !== undefined ? String(host.bkHostId) : `${host.bkCloudId}:${host.ip}`;
}
