-- The review service: access review campaigns and their items. Ids use the "C" collation so
-- that ordering and paging by id are bytewise, as in the memory engine, whatever the
-- database's locale. The outbox tables come from the kit's migrations.

-- +goose Up
CREATE TABLE campaigns (
    id                text COLLATE "C" PRIMARY KEY,
    name              text        NOT NULL,
    description       text        NOT NULL,
    status            text        NOT NULL,
    app_ids           text[]      NOT NULL,
    reviewer_kind     text        NOT NULL,
    reviewer_user_ids text[]      NOT NULL,
    due_time          timestamptz,
    creator_id        text        NOT NULL,
    create_time       timestamptz NOT NULL,
    launch_time       timestamptz,
    close_time        timestamptz,
    version           bigint      NOT NULL
);

CREATE INDEX campaigns_status_idx ON campaigns (status, id);

CREATE TABLE items (
    campaign_id    text COLLATE "C" NOT NULL REFERENCES campaigns (id),
    id             text COLLATE "C" NOT NULL,
    user_id        text COLLATE "C" NOT NULL,
    app_id         text COLLATE "C" NOT NULL,
    permission     text        NOT NULL,
    grant_time     timestamptz,
    -- Ascending; mirrored, with the status, in item_reviewers for a reviewer's list.
    reviewer_ids   text[]      NOT NULL,
    status         text        NOT NULL,
    decision       text        NOT NULL,
    new_permission text        NOT NULL,
    decided_by     text        NOT NULL,
    decide_time    timestamptz,
    justification  text        NOT NULL,
    request_id     text COLLATE "C",
    request_status text        NOT NULL,
    blocked_reason text        NOT NULL,
    user_email     text        NOT NULL,
    user_name      text        NOT NULL,
    app_name       text        NOT NULL,
    version        bigint      NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

-- Events about a user's access to an app find its open items.
CREATE INDEX items_user_app_idx ON items (user_id, app_id) WHERE status IN ('PENDING', 'BLOCKED');
-- A request's outcome finds the item whose decision opened it.
CREATE INDEX items_request_idx ON items (request_id) WHERE request_id IS NOT NULL;
-- Admin lists filtered by status, in id order.
CREATE INDEX items_status_idx ON items (campaign_id, status, id);

-- Who reviews which item, with the item's status copied so that "my pending items of this
-- campaign, in id order" is one index range scan however large the campaign.
CREATE TABLE item_reviewers (
    campaign_id text COLLATE "C" NOT NULL,
    reviewer_id text COLLATE "C" NOT NULL,
    item_id     text COLLATE "C" NOT NULL,
    status      text NOT NULL,
    -- No foreign key to items: the store writes both in one transaction, and a launch's
    -- COPY of 100,000 rows would spend most of its time in the key checks.
    PRIMARY KEY (campaign_id, reviewer_id, item_id)
);

CREATE INDEX item_reviewers_status_idx ON item_reviewers (campaign_id, reviewer_id, status, item_id);
CREATE INDEX item_reviewers_reviewer_idx ON item_reviewers (reviewer_id, campaign_id);
CREATE INDEX item_reviewers_item_idx ON item_reviewers (campaign_id, item_id);

-- +goose Down
DROP TABLE item_reviewers;
DROP TABLE items;
DROP TABLE campaigns;
