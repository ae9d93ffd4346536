package dev.lockstep.shop;

import java.sql.Connection;
import java.sql.SQLException;

/** The statements of a {@link ShopWorkload.Mix}'s transactions; {@link ShopWorkload} begins and commits them. */
interface TransactionMix {

    /** Runs the next transaction's statements on {@code c} (not committed) and returns what they changed. */
    ShopWorkload.Step next(Connection c) throws SQLException;

    /** Registers {@code observer} of the customers written; a mix that keeps no record of them throws. */
    default void watch(ShopWorkload.CustomerObserver observer) {
        throw new UnsupportedOperationException("this mix keeps no record of its customers");
    }
}
