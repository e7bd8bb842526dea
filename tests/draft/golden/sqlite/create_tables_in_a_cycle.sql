-- create_tables_in_a_cycle
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE TABLE players (
    id INTEGER NOT NULL,
    team_id INTEGER,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE SET NULL,
    FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE TABLE teams (
    id INTEGER NOT NULL,
    captain_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT fk_teams_captain FOREIGN KEY(captain_id) REFERENCES players (id)
);

-- rollback
DROP TABLE teams;

DROP TABLE players;
