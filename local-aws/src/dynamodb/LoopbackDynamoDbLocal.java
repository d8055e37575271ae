// Dev-only: starts DynamoDB Local listening on one address (loopback) instead of every interface.
// DynamoDB Local's command line has no host option: its DynamoDBProxyServer builds a Jetty server on a
// port only (Jetty then binds all interfaces). This launcher lets DynamoDB Local parse its own arguments
// and build that server, sets the address on the Jetty connector before it opens, then starts it.
// Everything is looked up by reflection from the jar given at run time, so this file compiles against
// the JDK alone. Any surprise (a renamed field, another connector type) stops the launch: it never
// falls back to listening on every interface.
//
// Usage: java -Djava.library.path=<dir>/DynamoDBLocal_lib -cp <classes> LoopbackDynamoDbLocal
//          <dir>/DynamoDBLocal.jar <host> [DynamoDB Local arguments...]
import java.io.File;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;

public final class LoopbackDynamoDbLocal {
  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: LoopbackDynamoDbLocal <DynamoDBLocal.jar> <host> [arguments...]");
      System.exit(2);
    }
    URL jar = new File(args[0]).toURI().toURL();
    String host = args[1];
    String[] dynamoDbArguments = Arrays.copyOfRange(args, 2, args.length);

    // The jar's manifest Class-Path brings in DynamoDBLocal_lib/*.jar, as with `java -jar`.
    ClassLoader loader = new URLClassLoader(new URL[] {jar}, LoopbackDynamoDbLocal.class.getClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    Class<?> runner = loader.loadClass("software.amazon.dynamodb.services.local.main.ServerRunner");
    Object proxyServer =
        runner
            .getMethod("createServerFromCommandLineArgs", String[].class)
            .invoke(null, (Object) dynamoDbArguments);

    Field serverField = proxyServer.getClass().getDeclaredField("server");
    serverField.setAccessible(true);
    Object jetty = serverField.get(proxyServer);
    Class<?> serverConnector = loader.loadClass("org.eclipse.jetty.server.ServerConnector");
    Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local built no connector");
    for (Object connector : connectors) {
      if (!serverConnector.isInstance(connector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      serverConnector.getMethod("setHost", String.class).invoke(connector, host);
    }
    proxyServer.getClass().getMethod("start").invoke(proxyServer);
  }
}
