/** IPv4/IPv6 address helpers: CIDR parsing and matching, and the subnet an address is in. */
import net from 'node:net';

export interface Cidr {
  text: string;
  family: 4 | 6;
  /** Network address as a bigint, and the prefix length. */
  network: bigint;
  prefix: number;
}

function toBigInt(address: string): { value: bigint; family: 4 | 6 } | undefined {
  const family = net.isIP(address);
  if (family === 4) {
    return { family, value: address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n) };
  }
  if (family === 6) {
    const [head = '', tail = ''] = address.includes('::') ? address.split('::') : [address, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
    const expand = (groups: string[]): string[] => groups.flatMap((g) => (g.includes('.') ? ipv4Groups(g) : [g]));
    const hh = expand(h);
    const tt = expand(t);
    const groups = [...hh, ...Array(8 - hh.length - tt.length).fill('0'), ...tt];
    return { family, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
  }
  return undefined;
}

function ipv4Groups(v4: string): string[] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

export function parseCidr(text: string): Cidr | { error: string } {
  const [addr, prefixText] = text.split('/');
  const parsed = toBigInt(addr ?? '');
  if (!parsed) return { error: `"${text}" is not an IP address or CIDR` };
  const max = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    return { error: `"${text}" has an invalid prefix length (0–${max})` };
  }
  const shift = BigInt(max - prefix);
  return { text, family: parsed.family, network: (parsed.value >> shift) << shift, prefix };
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  const parsed = toBigInt(address);
  if (!parsed || parsed.family !== cidr.family) return false;
  const shift = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return (parsed.value >> shift) << shift === cidr.network;
}

/**
 * The network zone of an address, coarser than its subnet: the /16 (IPv4) or /48 (IPv6) a
 * site or a provider usually spans. Two zones within minutes are two places at once.
 */
export function zoneOf(address: string): string {
  // Every logon asks: a dotted quad is cut at its second dot without net.isIPv4's regex.
  const second = dottedQuadSecondDot(address);
  if (second > 0) return address.slice(0, second);
  const parsed = toBigInt(address);
  if (!parsed) return address;
  return (parsed.value >> 80n).toString(16);
}

/** Where the second dot of a valid dotted-quad IPv4 address is; -1 for anything else. */
function dottedQuadSecondDot(a: string): number {
  let dots = 0;
  let second = -1;
  let digits = 0;
  let octet = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      if (dots === 2) second = i;
      digits = 0;
      octet = 0;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros (net.isIPv4 refuses them too), at most 255.
      if ((digits === 1 && octet === 0) || ++digits > 3 || (octet = octet * 10 + c - 48) > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? second : -1;
}

/** The /24 of an IPv4 address or the /64 of an IPv6 address, as text. */
export function subnetOf(address: string): string {
  if (net.isIPv4(address)) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  const parsed = toBigInt(address);
  if (!parsed) return address;
  const net64 = (parsed.value >> 64n) << 64n;
  const groups: string[] = [];
  for (let i = 7; i >= 4; i--) groups.push(((net64 >> BigInt(i * 16)) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}
