// Placeholder: the social area (friends, groups, search) replaces this panel; the chat's sidebar
// renders it under its "Groups" tab.

/** The sidebar's Groups tab (placeholder until the social panels land). */
export function GroupsPanel() {
  return <section />;
}
