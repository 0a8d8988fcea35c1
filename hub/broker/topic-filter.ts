/** MQTT topic filter matching (MQTT 3.1.1 section 4.7), for the hub's in-process subscriptions. */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  // Wildcards at the first level never match topics starting with '$' (MQTT-4.7.2-1).
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
