-- create_tables_in_a_cycle
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE TABLE players (
    id serial NOT NULL,
    team_id integer,
    user_id integer NOT NULL,
    CONSTRAINT players_pkey PRIMARY KEY (id),
    CONSTRAINT players_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)
);

CREATE TABLE teams (
    id serial NOT NULL,
    captain_id integer,
    CONSTRAINT teams_pkey PRIMARY KEY (id),
    CONSTRAINT fk_teams_captain FOREIGN KEY (captain_id) REFERENCES players(id)
);

ALTER TABLE players ADD CONSTRAINT players_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE SET NULL;

-- rollback
ALTER TABLE players DROP CONSTRAINT players_team_id_fkey;

DROP TABLE teams;

DROP TABLE players;
