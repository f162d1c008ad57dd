/** metav1.Time as it marshals: RFC 3339 with second precision. */

let lastSecond = -1;
let lastStamp = '';

export function metaNow(date?: Date): string {
  const ms = date ? date.getTime() : Date.now();
  const second = Math.floor(ms / 1000);
  // Many objects are stamped within the same second: format each second once.
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastStamp;
}

/** metav1.MicroTime as it marshals: RFC 3339 with microseconds (Lease renewTime/acquireTime). */
export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
