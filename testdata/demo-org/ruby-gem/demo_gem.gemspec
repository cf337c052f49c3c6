Gem::Specification.new do |spec|
  spec.name          = "demo_gem"
  spec.version       = "1.2.0"
  spec.authors       = ["demo-org"]
  spec.summary       = "An example gem"
  spec.files         = Dir["lib/**/*.rb"]
  spec.license       = "MIT"
  spec.required_ruby_version = ">= 3.0"
end
