package dev.polydb.examples.spring;

import dev.polydb.api.DbProvider;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Instant;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Signs a user in after the identity provider has vouched for them: finds the user by provider and
 * subject, creates them on the first visit, and issues a refresh token.
 */
@RestController
public class SignInController {
  private final DbProvider db;

  public SignInController(DbProvider db) {
    this.db = db;
  }

  /** What the identity provider said about the user. */
  public record SignIn(String provider, String subject, String email) {}

  /** The signed-in user and their new refresh token. */
  public record Session(String userId, boolean created, String refreshToken, Instant expiresAt) {}

  @PostMapping("/sign-in")
  public Session signIn(@RequestBody SignIn request) {
    return db.inTransaction(
        tx -> {
          User user = tx.users().findByProvider(request.provider(), request.subject()).orElse(null);
          boolean created = user == null;
          if (created) {
            user =
                tx.users()
                    .create(
                        request.provider(),
                        request.subject(),
                        UserProfile.of(request.email(), null, null));
          }
          IssuedToken token = tx.refreshTokens().issue(user.id());
          return new Session(user.id(), created, token.token(), token.record().expiresAt());
        });
  }
}
