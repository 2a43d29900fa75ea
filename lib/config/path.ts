export type PathSegment = string | number;

/** ['backups', 'targets', 1, 'postgres'] → "backups.targets[1].postgres" */
export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const safe = /^[A-Za-z_$][\w$-]*$/.test(segment) ? segment : JSON.stringify(segment);
    return text ? `${text}.${safe}` : safe;
  }, '');
}
