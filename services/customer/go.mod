module github.com/closeloop/closeloop/services/customer

go 1.26.0

require golang.org/x/text v0.42.0

require github.com/google/uuid v1.6.0 // indirect
