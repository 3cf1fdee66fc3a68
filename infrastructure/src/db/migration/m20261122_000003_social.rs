//! Friends, friend requests, blocks, direct-message policies, groups, group members and join
//! requests; each conversation member's visible range.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FriendRequests {
    Table,
    RequestId,
    FromId,
    ToId,
    Message,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Friendships {
    Table,
    UserId,
    FriendId,
    Remark,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Blocks {
    Table,
    UserId,
    BlockedId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserSettings {
    Table,
    UserId,
    DmPolicy,
}

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    GroupId,
    Name,
    Avatar,
    Introduction,
    Announcement,
    OwnerId,
    JoinPolicy,
    MuteAll,
    HistoryVisible,
    MemberCount,
    Version,
    CreatedAt,
    UpdatedAt,
    DissolvedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
    Role,
    Nickname,
    Remark,
    MutedUntil,
    JoinedAt,
}

#[derive(DeriveIden)]
enum GroupJoinRequests {
    Table,
    RequestId,
    GroupId,
    UserId,
    Message,
    Status,
    HandledBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    VisibleFrom,
    VisibleUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FriendRequests::Table)
                    .if_not_exists()
                    .col(string_len(FriendRequests::RequestId, 40).primary_key())
                    .col(string_len(FriendRequests::FromId, 40))
                    .col(string_len(FriendRequests::ToId, 40))
                    .col(string_len_null(FriendRequests::Message, 256))
                    .col(string_len(FriendRequests::Status, 16))
                    .col(big_integer(FriendRequests::CreatedAt))
                    .col(big_integer(FriendRequests::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in
            [("ix_friend_requests_to", FriendRequests::ToId), ("ix_friend_requests_from", FriendRequests::FromId)]
        {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(FriendRequests::Table)
                        .col(col)
                        .col(FriendRequests::RequestId)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Friendships::Table)
                    .if_not_exists()
                    .col(string_len(Friendships::UserId, 40))
                    .col(string_len(Friendships::FriendId, 40))
                    .col(string_len_null(Friendships::Remark, 64))
                    .col(big_integer(Friendships::CreatedAt))
                    .primary_key(Index::create().col(Friendships::UserId).col(Friendships::FriendId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Blocks::Table)
                    .if_not_exists()
                    .col(string_len(Blocks::UserId, 40))
                    .col(string_len(Blocks::BlockedId, 40))
                    .col(big_integer(Blocks::CreatedAt))
                    .primary_key(Index::create().col(Blocks::UserId).col(Blocks::BlockedId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserSettings::Table)
                    .if_not_exists()
                    .col(string_len(UserSettings::UserId, 40).primary_key())
                    .col(string_len(UserSettings::DmPolicy, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatGroups::Table)
                    .if_not_exists()
                    .col(string_len(ChatGroups::GroupId, 40).primary_key())
                    .col(string_len(ChatGroups::Name, 64))
                    .col(string_len_null(ChatGroups::Avatar, 512))
                    .col(string_len_null(ChatGroups::Introduction, 512))
                    .col(text_null(ChatGroups::Announcement))
                    .col(string_len(ChatGroups::OwnerId, 40))
                    .col(string_len(ChatGroups::JoinPolicy, 16))
                    .col(boolean(ChatGroups::MuteAll))
                    .col(boolean(ChatGroups::HistoryVisible))
                    .col(integer(ChatGroups::MemberCount))
                    .col(big_integer(ChatGroups::Version))
                    .col(big_integer(ChatGroups::CreatedAt))
                    .col(big_integer(ChatGroups::UpdatedAt))
                    .col(big_integer_null(ChatGroups::DissolvedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .if_not_exists()
                    .col(string_len(GroupMembers::GroupId, 40))
                    .col(string_len(GroupMembers::UserId, 40))
                    .col(string_len(GroupMembers::Role, 16))
                    .col(string_len_null(GroupMembers::Nickname, 64))
                    .col(string_len_null(GroupMembers::Remark, 64))
                    .col(big_integer_null(GroupMembers::MutedUntil))
                    .col(big_integer(GroupMembers::JoinedAt))
                    .primary_key(Index::create().col(GroupMembers::GroupId).col(GroupMembers::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_members_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::UserId)
                    .col(GroupMembers::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupJoinRequests::Table)
                    .if_not_exists()
                    .col(string_len(GroupJoinRequests::RequestId, 40).primary_key())
                    .col(string_len(GroupJoinRequests::GroupId, 40))
                    .col(string_len(GroupJoinRequests::UserId, 40))
                    .col(string_len_null(GroupJoinRequests::Message, 256))
                    .col(string_len(GroupJoinRequests::Status, 16))
                    .col(string_len_null(GroupJoinRequests::HandledBy, 40))
                    .col(big_integer(GroupJoinRequests::CreatedAt))
                    .col(big_integer(GroupJoinRequests::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_join_requests_group")
                    .table(GroupJoinRequests::Table)
                    .col(GroupJoinRequests::GroupId)
                    .col(GroupJoinRequests::RequestId)
                    .to_owned(),
            )
            .await?;
        // SQLite takes one ADD COLUMN per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(big_integer(ConversationMembers::VisibleFrom).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(big_integer_null(ConversationMembers::VisibleUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FriendRequests::Table.into_iden(),
            Friendships::Table.into_iden(),
            Blocks::Table.into_iden(),
            UserSettings::Table.into_iden(),
            ChatGroups::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            GroupJoinRequests::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .drop_column(ConversationMembers::VisibleUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .drop_column(ConversationMembers::VisibleFrom)
                    .to_owned(),
            )
            .await
    }
}
