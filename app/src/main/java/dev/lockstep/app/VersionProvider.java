package dev.lockstep.app;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest; "development" when run from classes. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Lockstep.class.getPackage().getImplementationVersion();
        return new String[] {
            "lockstep " + (version == null ? "development build" : version),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
