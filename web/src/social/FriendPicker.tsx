// Choosing people from the caller's friends with checkboxes (group creation, adding members).
import { useT } from '../i18n';
import { socialApi } from './api';
import { useLoad } from './useLoad';

/** A checkbox list of friends, minus `exclude`; `selected` is controlled by the parent. */
export function FriendPicker(props: { legend: string; selected: string[]; onChange: (ids: string[]) => void; exclude?: string[] }) {
  const t = useT();
  const friends = useLoad(socialApi.friends, []);
  const choices = (friends.data ?? []).filter((f) => !props.exclude?.includes(f.user.user_id));
  const toggle = (id: string, on: boolean) =>
    props.onChange(on ? [...props.selected, id] : props.selected.filter((x) => x !== id));
  return (
    <fieldset class="friend-picker">
      <legend>{props.legend}</legend>
      {friends.error && <p class="error">{friends.error}</p>}
      {!friends.data && !friends.error && <p class="notice">{t('common.loading')}</p>}
      {friends.data && choices.length === 0 && <p class="notice small">{t('social.groups.noFriendsToPick')}</p>}
      {choices.map((f) => (
        <label key={f.user.user_id} class="check">
          <input
            type="checkbox"
            checked={props.selected.includes(f.user.user_id)}
            onChange={(e) => toggle(f.user.user_id, e.currentTarget.checked)}
          />
          <span>{f.remark || f.user.display_name}</span>
        </label>
      ))}
    </fieldset>
  );
}
