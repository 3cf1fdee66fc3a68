// Placeholder: the social area (friends, groups, search) replaces this panel; the chat's sidebar
// renders it under its "Friends" tab.

/** The sidebar's Friends tab (placeholder until the social panels land). */
export function FriendsPanel() {
  return <section />;
}
