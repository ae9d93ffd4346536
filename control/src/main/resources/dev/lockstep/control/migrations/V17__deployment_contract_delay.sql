-- A deployment's contract phase (its drops) runs when asked for (lockstep deploy --contract) or, with
-- lockstep deploy --contract-after, once that long has passed since its switch: readers get that long to move off
-- what it drops.
ALTER TABLE deployments
    ADD COLUMN contract_after interval,
    ADD CONSTRAINT deployments_contract_after_check CHECK (contract_after >= interval '0');

COMMENT ON COLUMN deployments.contract_after IS 'How long after the switch the contract phase runs by itself (lockstep deploy --contract-after); NULL: only when asked for (contract_requested).';
