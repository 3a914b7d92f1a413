/**
 * Flow logs of `sources` public scanners, each REJECTed on 60 ports of one host within the hour
 * before `end` (v2 default format, one plain file): `sources` PORT_SCAN findings, nothing else.
 */
export function scannerLog(sources: number, end: number): string {
  const lines = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
  for (let s = 0; s < sources; s++) {
    for (let p = 0; p < 60; p++) {
      const t = end - 3000 + ((s * 7 + p) % 2900);
      lines.push(`2 123456789012 eni-0a1b2c3d4e5f60001 45.${10 + Math.floor(s / 200)}.${Math.floor((s % 200) / 50)}.${(s % 50) + 1} 10.0.1.${10 + (p % 5)} ${40000 + p} ${1000 + p} 6 1 40 ${t} ${t + 5} REJECT OK`);
    }
  }
  return `${lines.join('\n')}\n`;
}
