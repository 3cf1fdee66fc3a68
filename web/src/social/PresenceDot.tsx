// The small online/offline dot beside a name, with its meaning spoken for screen readers.
import { useT } from '../i18n';

/** A dot: green online, grey offline, hollow unknown. */
export function PresenceDot({ online }: { online: boolean | undefined }) {
  const t = useT();
  const state = online === undefined ? 'unknown' : online ? 'online' : 'offline';
  return (
    <span class={`presence presence-${state}`} role="img" aria-label={t(`social.presence.${state}`)} title={t(`social.presence.${state}`)} />
  );
}
