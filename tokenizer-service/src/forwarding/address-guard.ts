// Which addresses a destination may resolve to. Only public unicast addresses are allowed: a connection's
// host that resolves (by mistake, by a DNS change or by an attacker's record) to the cloud metadata service,
// a private network, the host itself or another special range is refused before anything is sent.
import { BlockList, isIP } from 'node:net';

// IANA special-purpose registries (RFC 6890 and successors), plus the ranges clouds use internally.
const refusedIPv4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['169.254.0.0', 16], // link-local, the metadata service 169.254.169.254 among them
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const loopbackIPv4: [string, number] = ['127.0.0.0', 8];

// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is judged as its IPv4 address: BlockList maps it.
const refusedIPv6: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['64:ff9b::', 96], // NAT64, which embeds an IPv4 address
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4, which embeds an IPv4 address
  ['fc00::', 7], // unique local, the EC2 metadata service fd00:ec2::254 among them
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];
const loopbackIPv6: [string, number] = ['::1', 128];

export interface AddressGuardOptions {
  /** Local stack only: loopback destinations (the payment processor stand-in) are allowed. */
  allowLoopback: boolean;
}

/** A check of resolved addresses: true when a destination may be contacted at `address`. */
export type AddressCheck = (address: string) => boolean;

export function addressGuard({ allowLoopback }: AddressGuardOptions): AddressCheck {
  const refused = new BlockList();
  for (const [network, prefix] of refusedIPv4) refused.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of refusedIPv6) refused.addSubnet(network, prefix, 'ipv6');
  if (!allowLoopback) {
    refused.addSubnet(...loopbackIPv4, 'ipv4');
    refused.addSubnet(...loopbackIPv6, 'ipv6');
  }
  return (address) => {
    const family = isIP(address);
    if (family === 0) return false;
    return !refused.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
