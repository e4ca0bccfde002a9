# Homebrew formula for Atmosphere, installed from the npm package tarball with Homebrew's node.
# `npm run package:homebrew` fills in the tarball's address and checksum (from `npm view` for a
# published version, or --url/--tarball) and writes release/atmosphere.rb for a tap:
#   brew install --formula ./release/atmosphere.rb      or, from a tap: brew install <tap>/atmosphere
# No bottle is built by this project (its machines run Linux without Homebrew); the formula is
# checked statically (test/package-static.test.ts).
class Atmosphere < Formula
  desc "Private device mesh that routes work to capability"
  homepage "@HOMEPAGE@"
  url "@TARBALL_URL@"
  sha256 "@SHA256@"
  license "Apache-2.0"

  depends_on "node"

  # better-sqlite3 compiles its native addon when no prebuilt one fits
  on_linux do
    depends_on "python@3.12" => :build
  end

  def install
    system "npm", "install", *std_npm_args
    bin.install_symlink libexec.glob("bin/*")
  end

  service do
    run [opt_bin/"atmosphere", "start", "--foreground"]
    environment_variables ATMOSPHERE_HOME: var/"atmosphere"
    keep_alive successful_exit: false
    log_path var/"log/atmosphere.log"
    error_log_path var/"log/atmosphere.log"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/atmosphere --version")
    home = testpath/"home"
    system bin/"atmosphere", "--home", home, "init", "--name", "brew-test"
    assert_path_exists home/"config.yaml"
  end
end
